/**
 * Test-only reader of a safetensors header: names, dtypes and shapes, in header order (no tensor data).
 */
import { readFileSync } from 'node:fs';

/** One tensor of a safetensors header. */
export interface HeaderTensor {
  readonly name: string;
  readonly dtype: string;
  readonly shape: number[];
}

/** Header tensors and the byte counts around them. */
export interface SafetensorsHeader {
  readonly tensors: HeaderTensor[];
  readonly fileBytes: number;
  /** Bytes after the 8-byte length and the JSON header: the tensor payload. */
  readonly payloadBytes: number;
}

/** Reads the header of a safetensors file. */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  const bytes = readFileSync(path);
  const length = Number(bytes.readBigUInt64LE(0));
  const json = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[] }
  >;
  const tensors = Object.entries(json)
    .filter(([name]) => name !== '__metadata__')
    .map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape }));
  return { tensors, fileBytes: bytes.length, payloadBytes: bytes.length - 8 - length };
}
