/**
 * Seeded random inputs for the reference-compared cases: unit-scale values, and the awkward ones (exact ties,
 * −inf logits, very large and very small gaps).
 * @module
 */
import { createRng, f32ToBf16Bits, f32ToF16Bits, tensor, type HostTensor, type Rng } from '@vblora/core';

/** A float32 tensor of N(0, scale²) values. */
export function normal(rng: Rng, shape: readonly number[], scale = 1): HostTensor<'f32'> {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(
    'f32',
    shape,
    Float32Array.from({ length: n }, () => rng.normal() * scale),
  );
}

/** Logit patterns that stress top-k selection. */
export type LogitPattern = 'normal' | 'ties' | 'neg-inf' | 'large-gap' | 'small-gap';

/**
 * Logits `(…, nv)`: `ties` draws from 4 values so many rows tie at the k-th place; `neg-inf` sets all but k+1
 * entries of every row to −inf (as after a top-k reload); `large-gap` spreads logits ×1000; `small-gap` packs
 * them within 1e-3 of each other.
 */
export function logits(rng: Rng, shape: readonly number[], pattern: LogitPattern, k: number): HostTensor<'f32'> {
  const nv = shape[shape.length - 1]!;
  const t = normal(rng, shape, 2);
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (pattern === 'ties') d[i] = Math.floor(rng.uniform() * 4) - 1.5;
    else if (pattern === 'large-gap') d[i] = d[i]! * 1000;
    else if (pattern === 'small-gap') d[i] = Math.fround(1 + d[i]! * 5e-4);
  }
  if (pattern === 'neg-inf') {
    for (let row = 0; row < d.length / nv; row++) {
      const keep = new Set<number>();
      while (keep.size < Math.min(nv, k + 1)) keep.add(Math.floor(rng.uniform() * nv));
      for (let j = 0; j < nv; j++) if (!keep.has(j)) d[row * nv + j] = -Infinity;
    }
  }
  return t;
}

/** A uniform U(−0.1, 0.1) bank `(nv, vl)`, like a trained one. */
export function bank(rng: Rng, nv: number, vl: number): HostTensor<'f32'> {
  return tensor(
    'f32',
    [nv, vl],
    Float32Array.from({ length: nv * vl }, () => (rng.uniform() * 2 - 1) * 0.1),
  );
}

/**
 * A float tensor in the given dtype (values N(0, scale²) rounded to the dtype). Typed as f32 to fit the kernels'
 * generic signatures, which accept f32, bf16 and f16 alike.
 */
export function floats(
  rng: Rng,
  shape: readonly number[],
  dtype: 'f32' | 'bf16' | 'f16',
  scale = 1,
): HostTensor<'f32'> {
  const t = normal(rng, shape, scale);
  if (dtype === 'f32') return t;
  const toBits = dtype === 'bf16' ? f32ToBf16Bits : f32ToF16Bits;
  return tensor(
    dtype,
    shape,
    Uint16Array.from(t.data, (v) => toBits(v)),
  ) as unknown as HostTensor<'f32'>;
}

/** k distinct indices in [0, nv) per row, and k weights per row summing to 1, shaped `(…, k)`. */
export function topkForm(
  rng: Rng,
  lead: readonly number[],
  nv: number,
  k: number,
): { indices: HostTensor<'i32'>; weights: HostTensor<'f32'> } {
  const rows = lead.reduce((a, b) => a * b, 1);
  const idx = new Int32Array(rows * k);
  const w = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const used = new Set<number>();
    let sum = 0;
    for (let j = 0; j < k; j++) {
      let v = Math.floor(rng.uniform() * nv);
      while (used.has(v)) v = (v + 1) % nv;
      used.add(v);
      idx[r * k + j] = v;
      w[r * k + j] = rng.uniform() + 0.01;
      sum += w[r * k + j]!;
    }
    for (let j = 0; j < k; j++) w[r * k + j] = Math.fround(w[r * k + j]! / sum);
  }
  return { indices: tensor('i32', [...lead, k], idx), weights: tensor('f32', [...lead, k], w) };
}

/** A fresh seeded generator (re-created per use so a case's inputs do not depend on evaluation order). */
export function rngFor(seed: number): Rng {
  return createRng(seed);
}
