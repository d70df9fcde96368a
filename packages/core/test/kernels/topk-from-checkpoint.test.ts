/**
 * Top-k checkpoint math on PEFT's edge fixture (edge_topk3_ties_zero_nan, see its README): row logits_A[0,0]
 * reloads as NaN in PEFT, row logits_A[0,1] reloads with weight exactly 0 (−inf logit); plus seeded random
 * checks that a file we write can never reload as NaN.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NumericalError, ShapeError } from '../../src/errors.js';
import {
  composeLowRank,
  logitsFromTopk,
  safeTopkWeights,
  topkAdmixture,
  topkWeightsForSave,
} from '../../src/kernels/index.js';
import { f32, tensor, type HostTensor } from '../../src/tensor/index.js';
import { EXACT, expectClose, selectRows } from './helpers/assert-close.js';
import { randomNormal } from './helpers/f64-reference.js';
import { loadGolden } from './helpers/golden-case.js';

const g = loadGolden('edge_topk3_ties_zero_nan');
const nv = g.config.num_vectors;
const k = g.config.topk;
const fileA = g.topkFile('proj', 'A');
const fileB = g.topkFile('proj', 'B');
// 4 ulps at |A| ≤ 0.1 (see golden-parity.test.ts); dropping a weight below 1e-7 moves A by < 1e-8.
const AB_TOL = { atol: 3e-8, rtol: 0 };

/** Float32 sums of m values in a given order (torch may vectorise: no single order is guaranteed for m ≥ 3). */
function sumInOrder(w: Float32Array, order: readonly number[]): number {
  return order.reduce((s, j) => Math.fround(s + w[j]!), 0);
}

describe('logitsFromTopk / safeTopkWeights on the edge fixture', () => {
  it('PEFT-exact mode reproduces the NaN of row logits_A[0,0] at its restored slot, and nothing else', () => {
    const lg = logitsFromTopk({ ...fileA, nv });
    const nanAt = Array.from(lg.data).flatMap((v, i) => (Number.isNaN(v) ? [i] : []));
    expect(nanAt).toEqual([11]); // row 0 stores indices [3, 7, 11]; 1 − (w0 + w1) < 0 in float32
    const [w0, w1] = [fileA.weightsKm1.data[0]!, fileA.weightsKm1.data[1]!];
    expect(Math.fround(1 - Math.fround(w0 + w1))).toBeLessThan(0);
  });

  it('safe mode clamps that weight at 0 (logit −inf), reports the row, and changes nothing else', () => {
    const { weights, repairedRows } = safeTopkWeights({ weightsKm1: fileA.weightsKm1 });
    expect(repairedRows).toEqual([0]);
    expect(weights.shape).toEqual([2, 2, 3]);
    expect(weights.data[2]).toBe(0);
    const strict = logitsFromTopk({ ...fileA, nv });
    const safe = logitsFromTopk({ ...fileA, nv, safe: true });
    expect(safe.data[11]).toBe(-Infinity);
    expect(Array.from(safe.data).some(Number.isNaN)).toBe(false);
    const others = (t: HostTensor) =>
      tensor(
        'f32',
        [t.data.length - 1],
        Float32Array.from(Array.from(t.data as Float32Array).filter((_, i) => i !== 11)),
      );
    expectClose(others(safe), others(strict), EXACT, 'logits outside the repaired slot');
  });

  it('row logits_A[0,1] restores a weight of exactly 0 (−inf logit) without a repair, as in PEFT', () => {
    const { weights, repairedRows } = safeTopkWeights({ weightsKm1: fileA.weightsKm1 });
    expect(weights.data[5]).toBe(0);
    expect(repairedRows).not.toContain(1);
    expect(logitsFromTopk({ ...fileA, nv }).data[16 + 5]).toBe(-Infinity);
  });

  it('the safe top-k form recomposes the ORIGINAL adapter’s A and B (PEFT gets NaN for the broken row)', () => {
    const form = (file: typeof fileA) => ({
      indices: file.indices,
      weights: safeTopkWeights({ weightsKm1: file.weightsKm1 }).weights,
    });
    const { A, B } = composeLowRank({ logitsA: form(fileA), logitsB: form(fileB), bank: g.bank, k });
    expectClose(A, g.layer('proj', 'A'), AB_TOL, 'A vs the full adapter');
    expectClose(B, g.layer('proj', 'B'), AB_TOL, 'B vs the full adapter');
    const peft = g.layer('proj', 'topk_reload.A');
    expect(Array.from(peft.data as Float32Array).filter(Number.isNaN).length).toBe(16); // row 0, columns 0–15
  });

  it('rejects corrupted stored weights and mismatched shapes', () => {
    const idx = tensor('u8', [1, 3], Uint8Array.from([0, 1, 2]));
    expect(() => safeTopkWeights({ weightsKm1: f32([1, 2], [NaN, 0.1]) })).toThrow(NumericalError);
    expect(() => logitsFromTopk({ indices: idx, weightsKm1: f32([1, 2], [0.5, -0.1]), nv: 4, safe: true })).toThrow(
      /outside \[0, 1\]/,
    );
    expect(() => logitsFromTopk({ indices: idx, weightsKm1: f32([1, 1], [0.5]), nv: 4 })).toThrow(
      /weightsKm1 must have shape \(1, 2\)/,
    );
    expect(() => logitsFromTopk({ indices: idx, weightsKm1: f32([1, 2], [0.5, 0.2]), nv: 2 })).toThrow(ShapeError);
    expect(() =>
      logitsFromTopk({
        indices: tensor('u8', [1, 3], Uint8Array.from([0, 1, 9])),
        weightsKm1: f32([1, 2], [0.5, 0.2]),
        nv: 4,
      }),
    ).toThrow(/out of range/);
  });

  it('k = 1 stores no weights and restores weight 1 (logit 0)', () => {
    const lg = logitsFromTopk({
      indices: tensor('i16', [2, 1], Int16Array.from([2, 0])),
      weightsKm1: f32([2, 0], []),
      nv: 3,
    });
    expect(Array.from(lg.data)).toEqual([-Infinity, -Infinity, 0, 0, -Infinity, -Infinity]);
  });
});

describe('topkWeightsForSave never writes a file PEFT reloads as NaN', () => {
  it('nudges PEFT’s broken row logits_A[0,0] by ≤ 2 ulps, and the PEFT-exact reload has no NaN', () => {
    const ours = topkWeightsForSave({ logits: g.logits('proj', 'A'), k });
    expect(ours.nudgedRows).toEqual([0]);
    const row0 = (t: HostTensor) => selectRows(t, (r) => r === 0);
    expectClose(row0(ours.weightsKm1), row0(fileA.weightsKm1), { atol: 0, rtol: 2 ** -22 }, 'nudged row vs PEFT');
    const reloaded = logitsFromTopk({ indices: ours.indices, weightsKm1: ours.weightsKm1, nv });
    expect(Array.from(reloaded.data).some(Number.isNaN)).toBe(false);
  });

  it('rejects rows whose weights are not finite (NaN / +inf logits) with a NumericalError', () => {
    expect(() => topkWeightsForSave({ logits: f32([1, 3], [1, NaN, 0]), k: 2 })).toThrow(NumericalError);
    expect(() => topkWeightsForSave({ logits: f32([1, 3], [Infinity, 1, 0]), k: 2 })).toThrow(
      /non-finite top-k weights/,
    );
  });

  it('seeded random wide-spread logits: every row reloads without NaN in any summation order (fast-check, seed 5404)', () => {
    let nudges = 0;
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 9 }), fc.integer({ min: 0, max: 2 ** 31 }), (kk, seed) => {
        // std 12 over 32 entries: the smallest top-k weight often falls below 1e-7, PEFT's NaN regime (SPEC §5.4)
        const logits = randomNormal([64, 32], seed, 12);
        const ours = topkWeightsForSave({ logits, k: kk });
        nudges += ours.nudgedRows.length;
        const m = kk - 1;
        const plain = topkAdmixture({ logits, bank: tensor('f32', [32, 1], new Float32Array(32)), k: kk }).weights;
        for (let row = 0; row < 64; row++) {
          const w = ours.weightsKm1.data.subarray(row * m, (row + 1) * m);
          const seq = Array.from({ length: m }, (_, j) => j);
          const orders = [
            seq,
            [...seq].reverse(),
            [...seq.filter((j) => j % 2 === 0), ...seq.filter((j) => j % 2 === 1)],
          ];
          for (const order of orders) expect(sumInOrder(w, order)).toBeLessThanOrEqual(1);
          for (let j = 0; j < m; j++) {
            // only ever lowered, and only the largest weight
            const p = plain.data[row * kk + j]!;
            if (j === 0) expect(w[j]!).toBeLessThanOrEqual(p);
            else expect(w[j]).toBe(p);
          }
        }
        const reloaded = logitsFromTopk({ indices: ours.indices, weightsKm1: ours.weightsKm1, nv: 32 });
        expect(Array.from(reloaded.data).some(Number.isNaN)).toBe(false);
      }),
      { seed: 5404, numRuns: 40 },
    );
    expect(nudges).toBeGreaterThan(0); // the repair path really ran
  });
});
