import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { restoreTopkWeights, selectTopk, topkRanksAbove } from '../../src/kernels/index.js';

describe('topkRanksAbove: the one top-k order', () => {
  it('ranks NaN highest, then the larger value, then the lower index', () => {
    expect(topkRanksAbove(NaN, 5, Infinity, 0)).toBe(true);
    expect(topkRanksAbove(Infinity, 0, NaN, 5)).toBe(false);
    expect(topkRanksAbove(NaN, 1, NaN, 2)).toBe(true);
    expect(topkRanksAbove(NaN, 2, NaN, 1)).toBe(false);
    expect(topkRanksAbove(2, 9, 1, 0)).toBe(true);
    expect(topkRanksAbove(-0, 1, 0, 2)).toBe(true); // −0 equals +0: the lower index wins
    expect(topkRanksAbove(-Infinity, 3, -Infinity, 2)).toBe(false);
  });

  it('is a strict total order on (value, index) pairs', () => {
    const value = fc.oneof(fc.constantFrom(NaN, Infinity, -Infinity, 0, -0), fc.float({ noNaN: true }));
    fc.assert(
      fc.property(value, value, fc.nat(50), fc.nat(50), (a, b, ia, ib) => {
        fc.pre(ia !== ib);
        // exactly one of the two ranks above the other
        expect(topkRanksAbove(a, ia, b, ib)).toBe(!topkRanksAbove(b, ib, a, ia));
      }),
      { seed: 1818, numRuns: 500 },
    );
  });
});

describe('selectTopk', () => {
  it('selects in rank order within the given window of the source', () => {
    const src = new Float32Array([9, 9, /* row: */ 0.5, NaN, 2, 2, -Infinity]);
    const out = new Int32Array([-1, -1, -1, -1]);
    selectTopk(src, 2, 5, 3, out, 1);
    expect(Array.from(out)).toEqual([-1, 1, 2, 3]);
  });

  it('agrees with a stable sort by topkRanksAbove', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(NaN, Infinity, -Infinity, -1, 0, 1, 2.5), { minLength: 1, maxLength: 24 }),
        fc.nat(),
        (values, kSeed) => {
          const nv = values.length;
          const k = 1 + (kSeed % nv);
          const src = Float32Array.from(values);
          const out = new Int32Array(k);
          selectTopk(src, 0, nv, k, out, 0);
          const sorted = [...src.keys()].sort((i, j) => (topkRanksAbove(src[i]!, i, src[j]!, j) ? -1 : 1));
          expect(Array.from(out)).toEqual(sorted.slice(0, k));
        },
      ),
      { seed: 1819, numRuns: 300 },
    );
  });
});

describe('restoreTopkWeights', () => {
  it('appends 1 − Σ stored, summed in index order in float32', () => {
    // 0.1 + 0.2 + 0.3 in float32, in order, then 1 minus that, rounded to float32 at each step
    const stored = Float32Array.from([0.1, 0.2, 0.3]);
    const s = Math.fround(Math.fround(stored[0]! + stored[1]!) + stored[2]!);
    const { weights, repairedRows } = restoreTopkWeights(stored, 1, 3, false);
    expect(Array.from(weights)).toEqual([...stored, Math.fround(1 - s)]);
    expect(repairedRows).toEqual([]);
  });

  it('keeps a negative restored weight (PEFT-exact) or clamps it at 0 and reports the row', () => {
    const stored = Float32Array.from([0.5, 0.25, 0.75, 0.5]); // rows: Σ = 0.75, Σ = 1.25
    expect(Array.from(restoreTopkWeights(stored, 2, 2, false).weights)).toEqual([0.5, 0.25, 0.25, 0.75, 0.5, -0.25]);
    const safe = restoreTopkWeights(stored, 2, 2, true);
    expect(Array.from(safe.weights)).toEqual([0.5, 0.25, 0.25, 0.75, 0.5, 0]);
    expect(safe.repairedRows).toEqual([1]);
  });
});
