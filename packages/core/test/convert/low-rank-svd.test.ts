/**
 * The thin-factor SVD behind toLoraAdapter, checked against the dense float64 product it avoids forming:
 * B·A = US·Vᵀ, V orthonormal, the columns of US orthogonal with norms S (descending). Float64 throughout, so the
 * tolerance is a few hundred ulps of the largest singular value (1e-13 · σ1).
 */
import { describe, expect, it } from 'vitest';
import { lowRankSvd } from '../../src/convert/low-rank-svd.js';

/** Seeded uniform numbers in [−1, 1) (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * 2 - 1;
  };
}

function randomF32(n: number, next: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => next());
}

function check(B: Float32Array, A: Float32Array, out: number, inF: number, r: number): void {
  const { US, S, V } = lowRankSvd(B, A, out, inF, r);
  const tol = 1e-13 * Math.max(S[0]!, 1e-300);
  for (let i = 1; i < r; i++) expect(S[i]!).toBeLessThanOrEqual(S[i - 1]!);
  // B·A = US·Vᵀ
  let worst = 0;
  for (let i = 0; i < out; i++) {
    for (let j = 0; j < inF; j++) {
      let dense = 0;
      let ours = 0;
      for (let t = 0; t < r; t++) {
        dense += B[i * r + t]! * A[t * inF + j]!;
        ours += US[i * r + t]! * V[j * r + t]!;
      }
      worst = Math.max(worst, Math.abs(dense - ours));
    }
  }
  expect(worst, `B·A reconstruction, tolerance ${tol.toExponential(2)}`).toBeLessThanOrEqual(tol);
  for (let p = 0; p < r; p++) {
    for (let q = 0; q < r; q++) {
      let vv = 0;
      let uu = 0;
      for (let j = 0; j < inF; j++) vv += V[j * r + p]! * V[j * r + q]!;
      for (let i = 0; i < out; i++) uu += US[i * r + p]! * US[i * r + q]!;
      expect(Math.abs(vv - (p === q ? 1 : 0)), `VᵀV[${p},${q}], tolerance 1e-13`).toBeLessThanOrEqual(1e-13);
      const want = p === q ? S[p]! * S[p]! : 0;
      expect(Math.abs(uu - want), `(US)ᵀUS[${p},${q}], tolerance 1e-13·σ1²`).toBeLessThanOrEqual(1e-13 * S[0]! * S[0]!);
    }
  }
}

describe('lowRankSvd', () => {
  for (const [seed, out, inF, r] of [
    [1, 64, 64, 4],
    [2, 192, 64, 4],
    [3, 32, 256, 8],
    [4, 16, 16, 1],
    [5, 48, 40, 16],
  ] as const) {
    it(`seed ${seed}: random B (${out}×${r}) and A (${r}×${inF})`, () => {
      const next = rng(seed);
      check(randomF32(out * r, next), randomF32(r * inF, next), out, inF, r);
    });
  }

  it('seed 6: rank-deficient factors (a zero column of B, two equal rows of A)', () => {
    const next = rng(6);
    const [out, inF, r] = [32, 24, 4];
    const B = randomF32(out * r, next);
    for (let i = 0; i < out; i++) B[i * r + 1] = 0;
    const A = randomF32(r * inF, next);
    A.copyWithin(2 * inF, 3 * inF, 4 * inF);
    check(B, A, out, inF, r);
    const { S } = lowRankSvd(B, A, out, inF, r);
    expect(S[3]!, 'the product has rank ≤ 3: its last singular value is 0 (tolerance 1e-12·σ1)').toBeLessThanOrEqual(
      1e-12 * S[0]!,
    );
  });

  it('an all-zero product gives zero singular values and orthonormal V', () => {
    check(new Float32Array(8 * 2), new Float32Array(2 * 8), 8, 8, 2);
  });
});
