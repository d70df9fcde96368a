/**
 * Test-only safetensors reader for the golden fixtures (trusted files): 8-byte little-endian header length, JSON
 * header, raw little-endian data. Tensor data is copied into fresh, aligned typed arrays. No validation beyond
 * what the tests need; the real reader lives in `src/checkpoint/`.
 */
import { readFileSync } from 'node:fs';
import { tensor, type DType, type HostTensor } from '../../src/tensor/index.js';

const DTYPES: Record<string, DType> = {
  F64: 'f64',
  F32: 'f32',
  F16: 'f16',
  BF16: 'bf16',
  I64: 'i64',
  I32: 'i32',
  I16: 'i16',
  U8: 'u8',
};

const ARRAYS = {
  f64: Float64Array,
  f32: Float32Array,
  f16: Uint16Array,
  bf16: Uint16Array,
  i64: BigInt64Array,
  i32: Int32Array,
  i16: Int16Array,
  u8: Uint8Array,
} as const;

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Reads every tensor of a safetensors file into a map keyed by tensor name. */
export function readSafetensorsLite(path: string): Map<string, HostTensor> {
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, HeaderEntry>;
  const base = 8 + n;
  const out = new Map<string, HostTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const dtype = DTYPES[entry.dtype];
    if (dtype === undefined) throw new Error(`${path}: ${name}: unsupported dtype ${entry.dtype}`);
    const Ctor = ARRAYS[dtype as keyof typeof ARRAYS];
    const [begin, end] = entry.data_offsets;
    const copy = new Uint8Array(end - begin);
    copy.set(bytes.subarray(base + begin, base + end)); // aligned copy, owned by the tensor
    const data = new Ctor(copy.buffer, 0, copy.byteLength / Ctor.BYTES_PER_ELEMENT);
    out.set(name, tensor(dtype, entry.shape, data as never));
  }
  return out;
}

/** Looks a tensor up and fails the test with the missing key when absent. */
export function getTensor(map: Map<string, HostTensor>, key: string): HostTensor {
  const t = map.get(key);
  if (t === undefined) throw new Error(`tensor ${key} not found`);
  return t;
}
