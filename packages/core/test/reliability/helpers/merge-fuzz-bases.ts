import { closeSync, openSync, truncateSync, writeSync } from 'node:fs';
import {
  createRng,
  SAFETENSORS_DTYPE_NAMES,
  zeros,
  type DType,
  type HostTensor,
  type VBLoRAAdapter,
} from '@vblora/core';
import { PathError } from '@vblora/core';
import { typedOutcome } from './outcome.js';

/**
 * Generated base checkpoints for the merge fuzz targets: a base that fits an adapter (weights of chosen dtypes,
 * biases, a few unrelated tensors), and safetensors files whose headers declare shapes of any size, written
 * sparse (declared, never stored) or cut short.
 */

/** A tensor of `dtype` and `shape` filled with seeded bytes (floats may be NaN: the merge is not in safe mode). */
export function filled(dtype: DType, shape: readonly number[], seed: number): HostTensor {
  const t = zeros(dtype, shape);
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const rng = createRng(seed);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rng.uniform() * 256);
  return t;
}

/** A base the adapter fits: `<path>.weight` of `weightDtypes[i]` per module, `<path>.bias`, two other tensors. */
export function baseFor(adapter: VBLoRAAdapter, weightDtypes: readonly DType[], seed: number): Map<string, HostTensor> {
  const base = new Map<string, HostTensor>();
  let i = 0;
  for (const m of adapter.modules.values()) {
    const shape = adapter.config.fan_in_fan_out ? [m.inFeatures, m.outFeatures] : [m.outFeatures, m.inFeatures];
    base.set(`${m.path}.weight`, filled(weightDtypes[i % weightDtypes.length]!, shape, seed + i));
    base.set(`${m.path}.bias`, filled('f32', [m.outFeatures], seed + 100 + i));
    i++;
  }
  base.set('lm_head.weight', filled('bf16', [3, 5], seed + 200));
  base.set('model.norm.weight', filled('f64', [5], seed + 201));
  return base;
}

/** One tensor of a hand-made header: any shape, offsets computed exactly (BigInt), possibly past 2^53. */
export interface DeclaredTensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly bigint[];
  /** Stored bytes (small tensors); a declared tensor without data is a hole (sparse) or missing (short). */
  readonly data?: HostTensor;
}

const WIDTH: Partial<Record<DType, bigint>> = { f32: 4n, bf16: 2n, f16: 2n, f64: 8n, i64: 8n, u8: 1n, i32: 4n };

/**
 * Writes a safetensors file from a hand-made header (entries in the order given, contiguous offsets) and the
 * data of the tensors that have it. `sparse`: the file is extended to the declared size (holes cost no disk);
 * otherwise it ends where the first tensor without data begins. Returns the declared data size.
 */
export function writeDeclared(path: string, tensors: readonly DeclaredTensor[], sparse: boolean): bigint {
  let offset = 0n;
  const parts: string[] = [];
  const placed: { at: bigint; data?: HostTensor }[] = [];
  for (const t of tensors) {
    const bytes = t.shape.reduce((a, d) => a * d, WIDTH[t.dtype] ?? 4n);
    parts.push(
      `${JSON.stringify(t.name)}:{"dtype":"${SAFETENSORS_DTYPE_NAMES[t.dtype]}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + bytes}]}`,
    );
    placed.push({ at: offset, ...(t.data === undefined ? {} : { data: t.data }) });
    offset += bytes;
  }
  let json = `{${parts.join(',')}}`;
  json = json.padEnd(Math.ceil(json.length / 8) * 8, ' ');
  const header = new TextEncoder().encode(json);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(header.length), true);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, prefix, 0, 8, 0);
    writeSync(fd, header, 0, header.length, 8);
    // short: the file ends where the first tensor without data begins (no hole anywhere)
    let end = 8 + header.length;
    for (const p of placed) {
      if (p.data === undefined && !sparse) break;
      if (p.data === undefined) continue;
      const at = 8 + header.length + Number(p.at);
      writeSync(
        fd,
        new Uint8Array(p.data.data.buffer, p.data.data.byteOffset, p.data.data.byteLength),
        0,
        p.data.data.byteLength,
        at,
      );
      end = at + p.data.data.byteLength;
    }
    truncateSync(path, sparse ? 8 + header.length + Number(offset) : end);
  } finally {
    closeSync(fd);
  }
  return offset;
}

/** A typed outcome with the rule of a PathError too (`PathError:output-aliases-input`). */
export function mergeOutcome(err: unknown): string {
  return err instanceof PathError ? `${err.name}:${err.rule}` : typedOutcome(err);
}
