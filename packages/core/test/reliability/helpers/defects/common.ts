import {
  DTYPE_ARRAY,
  factorKey,
  fromF32,
  numel,
  tensor,
  toF32,
  type DType,
  type FactorKeyKind,
  type HostTensor,
  type Rng,
} from '@vblora/core';
import type { AdapterParts, AdapterSpec } from '../adapter-builder.js';

/** What loading a defective adapter must give: one typed error, or a load (with a warning when one is due). */
export type Expected =
  | { readonly kind: 'error'; readonly outcome: string; readonly tensor?: string }
  | { readonly kind: 'load'; readonly warning?: string | RegExp; readonly finite?: boolean };

/** One defect: where it applies, and how it breaks an otherwise valid adapter. */
export interface Defect {
  readonly name: string;
  readonly when?: (s: AdapterSpec) => boolean;
  readonly apply: (p: AdapterParts, rnd: Rng) => Expected;
}

export const fail = (rule: string, tensor?: string): Expected =>
  tensor === undefined
    ? { kind: 'error', outcome: `CheckpointFormatError:${rule}` }
    : { kind: 'error', outcome: `CheckpointFormatError:${rule}`, tensor };
export const pick = <T>(rnd: Rng, items: readonly T[]): T => items[Math.floor(rnd.uniform() * items.length)]!;
export const int = (rnd: Rng, lo: number, hi: number): number => lo + Math.floor(rnd.uniform() * (hi - lo + 1));
export const isTopk = (s: AdapterSpec): boolean => s.flavour === 'topk';
export const isFull = (s: AdapterSpec): boolean => s.flavour === 'full';

/** A tensor of `dtype` and `shape` whose elements are `fill(i)`. */
export function filled(dtype: DType, shape: readonly number[], fill: (i: number) => number = () => 0): HostTensor {
  const n = numel(shape);
  const data = new DTYPE_ARRAY[dtype](n);
  const big = dtype === 'i64' || dtype === 'u64';
  for (let i = 0; i < n; i++) (data as unknown as Record<number, number | bigint>)[i] = big ? BigInt(fill(i)) : fill(i);
  return tensor(dtype, shape, data as HostTensor['data']);
}

/** A random (path, factor) and its key of the given kind. */
export function target(p: AdapterParts, rnd: Rng, kind: FactorKeyKind): { path: string; f: 'A' | 'B'; key: string } {
  const path = pick(rnd, p.paths);
  const f = pick(rnd, ['A', 'B'] as const);
  return { path, f, key: factorKey(path, f, kind) };
}

export function get(p: AdapterParts, key: string): HostTensor {
  const t = p.tensors.get(key);
  if (t === undefined) throw new Error(`generator bug: no tensor ${key}`);
  return t;
}

/** Valid top-k tensors with the given leading dims: rows `0..k−1`, weights all 0 (in range, sum 0). */
export function validTopk(
  lead: readonly number[],
  k: number,
  indexDtype: DType,
): { indices: HostTensor; weights: HostTensor } {
  return { indices: filled(indexDtype, [...lead, k], (i) => i % k), weights: filled('f32', [...lead, k - 1]) };
}

/** Writes one float value into a float tensor of any adapter dtype (bf16/f16 as their bit patterns). */
export function withValue(t: HostTensor, at: number, v: number): HostTensor {
  const f = toF32(t);
  const data = Float32Array.from(f.data);
  data[at] = v;
  const out = tensor('f32', t.shape, data);
  return t.dtype === 'bf16' || t.dtype === 'f16' ? fromF32(out, t.dtype) : out;
}

export function unravel(flat: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(flat % shape[d]!);
    flat = Math.floor(flat / shape[d]!);
  }
  return `(${idx.join(', ')})`;
}

/** Max value an integer dtype can hold (as a JS number; i64 capped at 2^53 − 1). */
export const INT_MAX: Partial<Record<DType, number>> = {
  u8: 255,
  i8: 127,
  i16: 32767,
  u16: 65535,
  i32: 2 ** 31 - 1,
  u32: 2 ** 32 - 1,
  i64: Number.MAX_SAFE_INTEGER,
};
export const INT_MIN: Partial<Record<DType, number>> = {
  i8: -128,
  i16: -32768,
  i32: -(2 ** 31),
  i64: -Number.MAX_SAFE_INTEGER,
};
