/**
 * Gradients against central finite differences of a float64 forward written in this file.
 * Step h = 1e-5: truncation error O(h²·f''') ≈ 1e-10 and cancellation error ≈ 1e-16/h = 1e-11 for an O(1) loss, so
 * the differences are good to ~1e-9. The kernel works in float64 and rounds each output once to float32 (≤ 2^-24
 * relative), so it must agree within 1e-9 + 2^-23·|expected| (one full ulp; measured: passes even at 1e-10 + 2^-24).
 * Logits are drawn so that the k-th and (k+1)-th values of every row differ by more than 100·h: the top-k selection
 * is constant over the finite-difference stencil.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../src/errors.js';
import { admixtureBackward, composeBackward } from '../../src/kernels/index.js';
import { type HostTensor } from '../../src/tensor/index.js';
import { expectClose } from './helpers/assert-close.js';
import { f64Tensor, randomNormal, randomUniform, softmaxF64, topkF64 } from './helpers/f64-reference.js';

const H = 1e-5;

/** Σ_rows Σ_c g[row, c]·S[row, c] with S the float64 top-k admixture of logits (rows, nv) over bank (nv, vl). */
function lossF64(
  logits: Float64Array,
  rows: number,
  nv: number,
  bank: Float64Array,
  vl: number,
  k: number,
  g: Float64Array,
): number {
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    const row = Array.from(logits.subarray(r * nv, (r + 1) * nv));
    const idx = topkF64(row, k);
    const w = softmaxF64(idx.map((i) => row[i]!));
    for (let c = 0; c < vl; c++) idx.forEach((i, j) => (loss += g[r * vl + c]! * w[j]! * bank[i * vl + c]!));
  }
  return loss;
}

/** Central difference of f along every coordinate of x. */
function numericGrad(x: Float64Array, f: () => number): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    x[i] = v + H;
    const up = f();
    x[i] = v - H;
    const down = f();
    x[i] = v;
    out[i] = (up - down) / (2 * H);
  }
  return out;
}

/** Logits whose top-k boundary gap exceeds 100·h in every row (redraws with the next seed otherwise). */
function separatedLogits(shape: number[], seed: number, k: number): HostTensor<'f32'> {
  const nv = shape[shape.length - 1]!;
  for (let s = seed; ; s += 7919) {
    const t = randomNormal(shape, s, 2);
    let ok = true;
    for (let r = 0; ok && r < t.data.length / nv; r++) {
      const sorted = Array.from(t.data.subarray(r * nv, (r + 1) * nv)).sort((a, b) => b - a);
      if (k < nv && sorted[k - 1]! - sorted[k]! < 100 * H) ok = false;
    }
    if (ok) return t;
  }
}

const FD_TOL = { atol: 1e-9, rtol: 2 ** -23 };

describe('admixtureBackward vs finite differences (fast-check, seed 1337)', () => {
  it('gradLogits (zero outside the top-k) and gradBank', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 10 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (nv, rows, vl, seed) => {
          const k = 1 + (seed % nv);
          const logits = separatedLogits([rows, nv], seed, k);
          const bank = randomUniform([nv, vl], seed + 1, 1);
          const g = randomNormal([rows, vl], seed + 2);
          const got = admixtureBackward({ logits, bank, k, gradVectors: g });
          const L = Float64Array.from(logits.data);
          const Bk = Float64Array.from(bank.data);
          const G = Float64Array.from(g.data);
          const f = () => lossF64(L, rows, nv, Bk, vl, k, G);
          const wantLogits = numericGrad(L, f);
          const wantBank = numericGrad(Bk, f);
          expectClose(got.gradLogits, f64Tensor([rows, nv], wantLogits), FD_TOL, 'gradLogits');
          expectClose(got.gradBank, f64Tensor([nv, vl], wantBank), FD_TOL, 'gradBank');
          for (let r = 0; r < rows; r++) {
            const top = new Set(topkF64(Array.from(logits.data.subarray(r * nv, (r + 1) * nv)), k));
            for (let j = 0; j < nv; j++) if (!top.has(j)) expect(got.gradLogits.data[r * nv + j]).toBe(0);
          }
        },
      ),
      { seed: 1337, numRuns: 40 },
    );
  });

  it('checks shapes and k', () => {
    const logits = randomNormal([2, 4], 1);
    const bank = randomUniform([4, 3], 2);
    expect(() => admixtureBackward({ logits, bank, k: 2, gradVectors: randomNormal([2, 4], 3) })).toThrow(
      /gradVectors must have shape \(2, 3\)/,
    );
    expect(() => admixtureBackward({ logits, bank, k: 5, gradVectors: randomNormal([2, 3], 3) })).toThrow(ShapeError);
  });
});

describe('composeBackward vs finite differences (fast-check, seed 4242)', () => {
  it('reverses the A (rank-major) and B (tile-major) layouts; the bank gradient sums both paths', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (r, inT, outT, vl, nv, seed) => {
          const k = 1 + (seed % Math.min(nv, 3));
          const logitsA = separatedLogits([r, inT, nv], seed, k);
          const logitsB = separatedLogits([outT, r, nv], seed + 1, k);
          const bank = randomUniform([nv, vl], seed + 2, 1);
          const gradA = randomNormal([r, inT * vl], seed + 3);
          const gradB = randomNormal([outT * vl, r], seed + 4);
          const got = composeBackward({ logitsA, logitsB, bank, k, gradA, gradB });
          // loss = Σ gradA ⊙ A + Σ gradB ⊙ B with A[i, t·vl+c] = S_A[i,t,c] and B[t·vl+c, i] = S_B[t,i,c] (SPEC §4.2)
          const gSA = Float64Array.from(gradA.data); // (r, in_t, vl) is the same memory order as (r, in)
          const gSB = new Float64Array(outT * r * vl);
          for (let t = 0; t < outT; t++)
            for (let i = 0; i < r; i++)
              for (let c = 0; c < vl; c++) gSB[(t * r + i) * vl + c] = gradB.data[(t * vl + c) * r + i]!;
          const LA = Float64Array.from(logitsA.data);
          const LB = Float64Array.from(logitsB.data);
          const Bk = Float64Array.from(bank.data);
          const f = () => lossF64(LA, r * inT, nv, Bk, vl, k, gSA) + lossF64(LB, outT * r, nv, Bk, vl, k, gSB);
          const wA = numericGrad(LA, f);
          const wB = numericGrad(LB, f);
          const wBank = numericGrad(Bk, f);
          expectClose(got.gradLogitsA, f64Tensor(logitsA.shape, wA), FD_TOL, 'gradLogitsA');
          expectClose(got.gradLogitsB, f64Tensor(logitsB.shape, wB), FD_TOL, 'gradLogitsB');
          expectClose(got.gradBank, f64Tensor(bank.shape, wBank), FD_TOL, 'gradBank');
        },
      ),
      { seed: 4242, numRuns: 40 },
    );
  });

  it('names the argument whose shape is wrong', () => {
    const logitsA = randomNormal([2, 1, 4], 1);
    const logitsB = randomNormal([1, 2, 4], 2);
    const bank = randomUniform([4, 3], 3);
    const gradB = randomNormal([3, 2], 4);
    expect(() => composeBackward({ logitsA, logitsB, bank, k: 2, gradA: randomNormal([2, 4], 5), gradB })).toThrow(
      /gradA must have shape \(r=2, in=3\)/,
    );
  });
});
