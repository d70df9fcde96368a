import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../src/errors.js';
import { admixFromTopk, composeLowRank, topkAdmixture } from '../../src/kernels/index.js';
import { f32, tensor } from '../../src/tensor/index.js';
import { expectClose } from './helpers/assert-close.js';
import { admixF64, composeF64, f64Tensor, randomNormal, randomUniform, topkF64 } from './helpers/f64-reference.js';

const bank4 = f32([4, 2], [1, 10, 2, 20, 3, 30, 4, 40]);

describe('topkAdmixture: selection rules', () => {
  it('orders by descending logit, ties lowest index first', () => {
    const logits = f32([2, 4], [0.5, 0.5, 0.5, 0.5, 1, 3, 3, 2]);
    const { indices } = topkAdmixture({ logits, bank: bank4, k: 3 });
    expect(Array.from(indices.data)).toEqual([0, 1, 2, 1, 2, 3]);
  });

  it('ranks NaN highest (like torch.topk), then gives NaN weights and vectors for that row', () => {
    const logits = f32([1, 4], [1, NaN, 5, NaN]);
    const { indices, weights, vectors } = topkAdmixture({ logits, bank: bank4, k: 3 });
    expect(Array.from(indices.data)).toEqual([1, 3, 2]);
    expect(Array.from(weights.data).every(Number.isNaN)).toBe(true);
    expect(Array.from(vectors.data).every(Number.isNaN)).toBe(true);
  });

  it('handles −inf logits (top-k reloads): weight 0 for a selected −inf, −0 equal to +0', () => {
    const logits = f32([2, 4], [-Infinity, 0, -Infinity, -Infinity, -0, 0, -Infinity, 1]);
    const { indices, weights, vectors } = topkAdmixture({ logits, bank: bank4, k: 2 });
    expect(Array.from(indices.data)).toEqual([1, 0, 3, 0]);
    expect(Array.from(weights.data.subarray(0, 2))).toEqual([1, 0]);
    expect(Array.from(vectors.data.subarray(0, 2))).toEqual([2, 20]);
    // row 2: logits 1 and −0 → e = [1, e^-1]; check against float64 within 2 float32 ulps of the values
    const w1 = 1 / (1 + Math.exp(-1));
    expectClose(
      tensor('f32', [2], weights.data.subarray(2)),
      f64Tensor([2], Float64Array.from([w1, 1 - w1])),
      { atol: 0, rtol: 2 ** -22 },
      'weights',
    );
  });

  it('gives NaN weights for a row of only −inf logits, as torch’s softmax does', () => {
    const { weights } = topkAdmixture({
      logits: f32([1, 3], [-Infinity, -Infinity, -Infinity]),
      bank: f32([3, 1], [1, 2, 3]),
      k: 2,
    });
    expect(Array.from(weights.data).every(Number.isNaN)).toBe(true);
  });

  it('rejects k outside 1..nv with a ShapeError naming k (PEFT fails inside torch.topk)', () => {
    const logits = f32([1, 4], [1, 2, 3, 4]);
    for (const k of [0, 5, 1.5, -1]) {
      expect(() => topkAdmixture({ logits, bank: bank4, k })).toThrow(ShapeError);
    }
    expect(() => topkAdmixture({ logits, bank: bank4, k: 5 })).toThrow(
      /k must be an integer with 1 ≤ k ≤ num_vectors \(4\), got 5/,
    );
  });

  it('rejects wrong dtypes and shapes with errors naming the argument', () => {
    const half = tensor('bf16', [1, 4], new Uint16Array(4));
    expect(() => topkAdmixture({ logits: half as never, bank: bank4, k: 1 })).toThrow(/logits must be f32, got bf16/);
    expect(() => topkAdmixture({ logits: f32([1, 3], [1, 2, 3]), bank: bank4, k: 1 })).toThrow(
      /logits must have shape \(\.\.\., nv=4\), got \(1, 3\)/,
    );
    expect(() =>
      admixFromTopk({
        indices: tensor('i32', [1, 2], Int32Array.from([0, 4])),
        weights: f32([1, 2], [1, 0]),
        bank: bank4,
      }),
    ).toThrow(/indices\[1\] = 4 is out of range/);
    expect(() =>
      admixFromTopk({
        indices: tensor('i32', [1, 2], Int32Array.from([0, 1])),
        weights: f32([1, 3], [1, 0, 0]),
        bank: bank4,
      }),
    ).toThrow(ShapeError);
  });

  it('softmax multiplies by the float32 reciprocal of the sum, as torch’s CPU kernel does (SPEC §4.5)', () => {
    const logits = randomNormal([400, 3], 99, 3);
    const { weights } = topkAdmixture({ logits, bank: f32([3, 1], [0, 0, 0]), k: 3 });
    let divisionDiffers = 0;
    for (let r = 0; r < 400; r++) {
      const v = Array.from(logits.data.subarray(r * 3, r * 3 + 3)).sort((a, b) => b - a);
      const e = v.map((x) => Math.fround(Math.exp(Math.fround(x - v[0]!))));
      const s = e.reduce((acc, x) => Math.fround(acc + x), 0);
      const inv = Math.fround(1 / s);
      expect(Array.from(weights.data.subarray(r * 3, r * 3 + 3))).toEqual(e.map((x) => Math.fround(x * inv)));
      if (e.some((x) => Math.fround(x / s) !== Math.fround(x * inv))) divisionDiffers++;
    }
    expect(divisionDiffers).toBeGreaterThan(0); // the two formulas really differ on these rows
  });

  it('admixFromTopk with topkAdmixture’s own indices and weights gives the same vectors bit for bit', () => {
    const logits = randomNormal([3, 5, 16], 7, 2);
    const bank = randomUniform([16, 8], 8, 0.1);
    const r = topkAdmixture({ logits, bank, k: 4 });
    const v = admixFromTopk({ indices: r.indices, weights: r.weights, bank });
    expectClose(v, r.vectors, { atol: 0, rtol: 0 }, 'vectors');
  });
});

describe('topkAdmixture and composeLowRank against a float64 brute force (fast-check, seed 20240904)', () => {
  // Bound on |float32 result − float64 formula|: each weight is off by ≤ (6 + 2·gap)·2^-24 relative (rounding of
  // v − max with |v − max| ≤ gap, exp, sum, reciprocal, product), each product and partial sum adds ≤ 2^-24
  // relative; since Σ w = 1 the vector error is ≤ ((6 + 2·gap) + 2k)·2^-24·max|bank|.
  const bound = (gap: number, k: number, maxBank: number) => (6 + 2 * gap + 2 * k) * 2 ** -24 * maxBank;

  it('vectors, and the selected indices match a full sort', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (nv, rows, vl, seed) => {
          const k = 1 + (seed % nv);
          const logits = randomNormal([rows, nv], seed, 3);
          const bank = randomUniform([nv, vl], seed + 1, 0.5);
          const ours = topkAdmixture({ logits, bank, k });
          for (let r = 0; r < rows; r++) {
            expect(Array.from(ours.indices.data.subarray(r * k, (r + 1) * k))).toEqual(
              topkF64(logits.data.subarray(r * nv, (r + 1) * nv), k),
            );
          }
          const gap = Math.max(...Array.from(logits.data).map(Math.abs)) * 2;
          const want = admixF64(logits.data, rows, nv, bank.data, vl, k);
          expectClose(ours.vectors, f64Tensor([rows, vl], want), { atol: bound(gap, k, 0.5), rtol: 0 }, 'vectors');
        },
      ),
      { seed: 20240904, numRuns: 60 },
    );
  });

  it('composeLowRank: A (r, in) rank-major and B (out, r) tile-major, as SPEC §4.2 writes them', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 2, max: 24 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (r, inT, outT, vl, nv, seed) => {
          const k = 1 + (seed % Math.min(nv, 4));
          const logitsA = randomNormal([r, inT, nv], seed, 2);
          const logitsB = randomNormal([outT, r, nv], seed + 1, 2);
          const bank = randomUniform([nv, vl], seed + 2, 0.1);
          const { A, B } = composeLowRank({ logitsA, logitsB, bank, k });
          expect(A.shape).toEqual([r, inT * vl]);
          expect(B.shape).toEqual([outT * vl, r]);
          const want = composeF64(logitsA, logitsB, bank, k);
          const gap = 2 * Math.max(...Array.from(logitsA.data).concat(Array.from(logitsB.data)).map(Math.abs));
          const tol = { atol: bound(gap, k, 0.1), rtol: 0 };
          expectClose(A, f64Tensor(A.shape, want.A), tol, 'A');
          expectClose(B, f64Tensor(B.shape, want.B), tol, 'B');
        },
      ),
      { seed: 20240904, numRuns: 60 },
    );
  });

  it('composeLowRank accepts top-k forms and checks k and the rank', () => {
    const logitsA = randomNormal([2, 2, 8], 1);
    const logitsB = randomNormal([3, 2, 8], 2);
    const bank = randomUniform([8, 4], 3, 0.1);
    const a = topkAdmixture({ logits: logitsA, bank, k: 3 });
    const b = topkAdmixture({ logits: logitsB, bank, k: 3 });
    const dense = composeLowRank({ logitsA, logitsB, bank, k: 3 });
    const sparse = composeLowRank({ logitsA: a, logitsB: b, bank, k: 3 });
    expectClose(sparse.A, dense.A, { atol: 0, rtol: 0 }, 'A');
    expectClose(sparse.B, dense.B, { atol: 0, rtol: 0 }, 'B');
    expect(() => composeLowRank({ logitsA: a, logitsB: b, bank, k: 2 })).toThrow(/top-k form has k = 3/);
    expect(() => composeLowRank({ logitsA, logitsB: randomNormal([3, 5, 8], 4), bank, k: 3 })).toThrow(
      /must have r = 2/,
    );
    expect(() => composeLowRank({ logitsA: randomNormal([2, 8], 5), logitsB, bank, k: 3 })).toThrow(
      /logitsA must have shape \(r, in_t, nv\)/,
    );
  });
});
