/**
 * Planning a safetensors file: the exact header bytes and where each tensor goes, without touching tensor data.
 * A caller can write `header` and then stream each tensor's bytes in `layout` order.
 *
 * Byte-identical to the Rust writer of huggingface/safetensors: tensors sorted by descending dtype rank
 * (`SAFETENSORS_DTYPE_ORDER`), then by name in UTF-8 byte order; compact JSON with `__metadata__` first and the
 * tensors in data order, each `{"dtype":..,"shape":[..],"data_offsets":[b,e]}`; serde_json string escapes;
 * space padding to a multiple of 8; an 8-byte little-endian length in front.
 *
 * Metadata keys are written in the order the input lists them (the Rust writer's HashMap has no fixed order; PEFT's
 * golden files, written in Python, keep insertion order). A plain record lists integer-like keys first, whatever
 * order they were added in: pass a `Map` to control that.
 * @module
 */
import { CheckpointFormatError, ResourceLimitError } from '../errors.js';
import {
  isHostDType,
  SAFETENSORS_DTYPE_NAMES,
  safetensorsByteSize,
  safetensorsDTypeRank,
} from './safetensors-dtypes.js';
import { loneSurrogateIndex, serdeJsonString } from './safetensors-json-write.js';
import type { SafetensorsEntry, SafetensorsLayoutEntry, SafetensorsMetadataInput } from './safetensors-types.js';

/** What PEFT passes to `safetensors.torch.save_file`. */
export const DEFAULT_SAFETENSORS_METADATA: Readonly<Record<string, string>> = Object.freeze({ format: 'pt' });

/** A planned safetensors file. */
export interface SafetensorsPlan {
  /** The first bytes of the file: 8-byte length, JSON header, space padding. */
  readonly header: Uint8Array;
  /** Tensors in data order; `begin`/`end` are relative to the end of `header`. */
  readonly layout: readonly SafetensorsLayoutEntry[];
  /** Bytes of the data section (the file is `header.length + dataSize` bytes). */
  readonly dataSize: number;
}

const utf8 = new TextEncoder();
const q = (s: string): string => JSON.stringify(s);

/**
 * Plans a file: validates names, dtypes and shapes, orders the tensors like the Rust writer and builds the header.
 * `metadata` defaults to `{ format: 'pt' }`; `null` writes no `__metadata__`.
 * @example
 * ```ts
 * const { header, layout } = planSafetensors([{ name: 'w', dtype: 'f32', shape: [2, 3] }]);
 * ```
 */
export function planSafetensors(
  entries: Iterable<SafetensorsEntry>,
  metadata: SafetensorsMetadataInput | null = DEFAULT_SAFETENSORS_METADATA,
): SafetensorsPlan {
  const seen = new Set<string>();
  const keyed: { entry: SafetensorsEntry; key: Uint8Array; rank: number }[] = [];
  for (const entry of entries) {
    checkEntry(entry, seen);
    keyed.push({ entry, key: utf8.encode(entry.name), rank: safetensorsDTypeRank(entry.dtype) });
  }
  keyed.sort((a, b) => b.rank - a.rank || compareBytes(a.key, b.key));

  const parts: string[] = [];
  if (metadata !== null) parts.push(`"__metadata__":${metadataJson(metadata)}`);
  const layout: SafetensorsLayoutEntry[] = [];
  let offset = 0;
  for (const { entry } of keyed) {
    const { name, dtype } = entry;
    const shape = [...entry.shape];
    const bytes = safetensorsByteSize(dtype, shape);
    if (bytes === undefined || offset + bytes > Number.MAX_SAFE_INTEGER) {
      throw new ResourceLimitError(
        `safetensors tensor ${q(name)} (shape [${shape.join(', ')}]) takes the file past 2^53 − 1 bytes`,
        'maxTotalBytes',
      );
    }
    layout.push({ name, dtype, shape, begin: offset, end: offset + bytes });
    parts.push(
      `${serdeJsonString(name)}:{"dtype":"${SAFETENSORS_DTYPE_NAMES[dtype]}","shape":[${shape.join(',')}],` +
        `"data_offsets":[${offset},${offset + bytes}]}`,
    );
    offset += bytes;
  }

  const json = utf8.encode(`{${parts.join(',')}}`);
  const n = Math.ceil(json.length / 8) * 8;
  const header = new Uint8Array(8 + n).fill(0x20, 8 + json.length);
  new DataView(header.buffer).setBigUint64(0, BigInt(n), true);
  header.set(json, 8);
  return { header, layout, dataSize: offset };
}

function checkEntry(entry: SafetensorsEntry, seen: Set<string>): void {
  if (typeof entry !== 'object' || entry === null) {
    throw new CheckpointFormatError(
      `safetensors entries must be {name, dtype, shape} objects, got ${String(entry)}`,
      'entry',
    );
  }
  const { name, dtype, shape } = entry;
  if (typeof name !== 'string') {
    throw new CheckpointFormatError(`safetensors tensor names must be strings, got ${typeof name}`, 'tensor-name');
  }
  const bad = loneSurrogateIndex(name);
  if (bad >= 0) {
    throw new CheckpointFormatError(
      `safetensors tensor name ${q(name)} has a lone UTF-16 surrogate at index ${bad}; names must be valid Unicode`,
      'tensor-name',
      name,
    );
  }
  if (name === '__metadata__' || name === '__proto__') {
    throw new CheckpointFormatError(
      `safetensors tensor name ${q(name)} is reserved; rename the tensor`,
      'forbidden-key',
      name,
    );
  }
  if (seen.has(name)) {
    throw new CheckpointFormatError(
      `safetensors tensor name ${q(name)} is given twice; names must be unique`,
      'duplicate-key',
      name,
    );
  }
  seen.add(name);
  if (!isHostDType(dtype)) {
    throw new CheckpointFormatError(
      `safetensors tensor ${q(name)} has unknown dtype ${q(String(dtype))} (valid: ${Object.keys(SAFETENSORS_DTYPE_NAMES).join(', ')})`,
      'dtype',
      name,
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new CheckpointFormatError(
      `safetensors tensor ${q(name)} has shape ${Array.isArray(shape) ? `[${shape.join(', ')}]` : String(shape)}; ` +
        'a shape is an array of non-negative safe integers',
      'shape',
      name,
    );
  }
}

function metadataJson(metadata: SafetensorsMetadataInput): string {
  if (typeof metadata !== 'object') {
    throw new CheckpointFormatError(
      `safetensors metadata must be a record or map of strings, got ${typeof metadata}`,
      'metadata',
    );
  }
  // Any iterable (a Map or a ReadonlyMap look-alike) gives [key, value] pairs; anything else is a record.
  const pairs: Iterable<readonly [unknown, unknown]> =
    Symbol.iterator in metadata ? (metadata as ReadonlyMap<unknown, unknown>) : Object.entries(metadata);
  const out: string[] = [];
  for (const [key, value] of pairs) {
    if (typeof key !== 'string' || typeof value !== 'string') {
      throw new CheckpointFormatError(
        `safetensors metadata must map strings to strings; ${q(String(key))} maps to a ${typeof value}`,
        'metadata',
      );
    }
    if (key === '__proto__') {
      throw new CheckpointFormatError('safetensors metadata key "__proto__" is not allowed', 'forbidden-key');
    }
    if (loneSurrogateIndex(key) >= 0 || loneSurrogateIndex(value) >= 0) {
      throw new CheckpointFormatError(`safetensors metadata entry ${q(key)} has a lone UTF-16 surrogate`, 'metadata');
    }
    out.push(`${serdeJsonString(key)}:${serdeJsonString(value)}`);
  }
  return `{${out.join(',')}}`;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
