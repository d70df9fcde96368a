/**
 * Seeded inputs with the values ports get wrong: NaN and ±inf in logits and banks, indices beyond 32,767 and in
 * every dtype PEFT stores them in, half-precision tensors built from chosen values.
 * @module
 */
import { f32ToBf16Bits, f32ToF16Bits, tensor, type HostTensor, type Rng } from '@vblora/core';
import { normal, topkForm } from './random-inputs.js';

/** An integer in [0, n). */
export function pick(rng: Rng, n: number): number {
  return Math.floor(rng.uniform() * n);
}

/**
 * A bf16/f16 tensor holding `values` rounded to nearest even (an f32 tensor is `values` as float32). Typed as f32
 * to fit the kernels' generic signatures, which accept f32, bf16 and f16 alike.
 */
export function halfTensor(
  dtype: 'f32' | 'bf16' | 'f16',
  shape: readonly number[],
  values: ArrayLike<number>,
): HostTensor<'f32'> {
  if (dtype === 'f32') return tensor('f32', shape, Float32Array.from(values));
  const toBits = dtype === 'bf16' ? f32ToBf16Bits : f32ToF16Bits;
  return tensor(
    dtype,
    shape,
    Uint16Array.from(values, (v) => toBits(v)),
  ) as unknown as HostTensor<'f32'>;
}

/** Non-finite logit patterns: NaN entries, +inf entries, or NaN, +inf and −inf together. */
export type NonFinitePattern = 'nan' | 'pos-inf' | 'mixed-nonfinite';

/**
 * Logits (…, nv) of N(0, 2²) values where each row gets 0–2 non-finite entries of the pattern at random places
 * (so rows with none, one, and two tied NaNs / +infs all occur).
 */
export function nonFiniteLogits(rng: Rng, shape: readonly number[], pattern: NonFinitePattern): HostTensor<'f32'> {
  const nv = shape[shape.length - 1]!;
  const t = normal(rng, shape, 2);
  const specials = pattern === 'nan' ? [NaN] : pattern === 'pos-inf' ? [Infinity] : [NaN, Infinity, -Infinity];
  for (let row = 0; row < t.data.length / nv; row++) {
    const count = pick(rng, 3);
    for (let j = 0; j < count; j++) t.data[row * nv + pick(rng, nv)] = specials[pick(rng, specials.length)]!;
  }
  return t;
}

/** A U(−0.1, 0.1) bank (nv, vl) with about one entry in eight replaced by NaN, +inf or −inf. */
export function nonFiniteBank(rng: Rng, nv: number, vl: number): HostTensor<'f32'> {
  const specials = [NaN, Infinity, -Infinity];
  return tensor(
    'f32',
    [nv, vl],
    Float32Array.from({ length: nv * vl }, () => {
      const v = (rng.uniform() * 2 - 1) * 0.1;
      return rng.uniform() < 0.125 ? specials[pick(rng, 3)]! : v;
    }),
  );
}

/** The first bank row an int16 index cannot address. */
export const INT16_LIMIT = 2 ** 15;

/**
 * Logits (…, nv) with nv > 32,768: N(0, 1) values, and in every row k + 1 large values planted, most at indices
 * ≥ 32,768, so the top-k indices need more than 16 bits.
 */
export function highIndexLogits(rng: Rng, shape: readonly number[], k: number): HostTensor<'f32'> {
  const nv = shape[shape.length - 1]!;
  const t = normal(rng, shape);
  for (let row = 0; row < t.data.length / nv; row++) {
    for (let j = 0; j <= k; j++) {
      const at = j === 0 ? pick(rng, INT16_LIMIT) : INT16_LIMIT + pick(rng, nv - INT16_LIMIT);
      t.data[row * nv + at] = 4 + 4 * rng.uniform();
    }
  }
  return t;
}

/** Top-k form (…, k) with distinct indices in [lo, hi) and weights summing to 1. */
export function topkFormIn(
  rng: Rng,
  lead: readonly number[],
  lo: number,
  hi: number,
  k: number,
): { indices: HostTensor<'i32'>; weights: HostTensor<'f32'> } {
  const form = topkForm(rng, lead, hi - lo, k);
  for (let i = 0; i < form.indices.data.length; i++) form.indices.data[i] = form.indices.data[i]! + lo;
  return form;
}

/** Integer dtypes PEFT stores top-k indices in (u8 below 256 vectors, i16 below 2^15, then i32, i64). */
export type IndexDType = 'u8' | 'i16' | 'i32' | 'i64';

/** The same indices in another integer dtype (i64 as a BigInt64Array). */
export function indicesAs(t: HostTensor<'i32'>, dtype: IndexDType): HostTensor {
  switch (dtype) {
    case 'u8':
      return tensor('u8', t.shape, Uint8Array.from(t.data));
    case 'i16':
      return tensor('i16', t.shape, Int16Array.from(t.data));
    case 'i32':
      return tensor('i32', t.shape, Int32Array.from(t.data));
    default:
      return tensor(
        'i64',
        t.shape,
        BigInt64Array.from(t.data, (v) => BigInt(v)),
      );
  }
}

/** The k−1 leading weights of each row of a top-k form (…, k): what a top-k checkpoint stores. */
export function storedWeights(weights: HostTensor<'f32'>): HostTensor<'f32'> {
  const k = weights.shape[weights.shape.length - 1]!;
  const rows = weights.data.length / k;
  const out = new Float32Array(rows * (k - 1));
  for (let row = 0; row < rows; row++) out.set(weights.data.subarray(row * k, row * k + k - 1), row * (k - 1));
  return tensor('f32', [...weights.shape.slice(0, -1), k - 1], out);
}
