import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reloadPairs, reloadRows } from '../../src/adapter/factor-source.js';
import { tensor } from '../../src/index.js';

// reloadPairs is the k = 2 fast path of reloadTopkWeights: it must give the general loop's bits on any restored
// weights, including 0 (log = −inf), 1, equal weights (ties keep the file order), NaN, and negative (PEFT's NaN case).
describe('reloadPairs = the general reload loop for k = 2 (fast-check, seed 7321)', () => {
  it('same indices and weight bits on any pair', () => {
    const weight = fc.oneof(
      fc.float({ min: 0, max: 1, noNaN: true }),
      fc.constantFrom(0, -0, 1, 0.5, Number.NaN, -0.25, 1e-45, 2 ** -126),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(weight, weight, fc.integer({ min: 0, max: 2047 }), fc.integer({ min: 0, max: 2047 })), { minLength: 1, maxLength: 40 }), (rows) => {
        const w = tensor('f32', [rows.length, 2], Float32Array.from(rows.flatMap(([a, b]) => [a, b])));
        const idx = tensor('i16', [rows.length, 2], Int16Array.from(rows.flatMap(([, , i, j]) => [i, j])));
        const fast = reloadPairs(idx, w);
        const general = reloadRows(idx, w, 2);
        expect(Array.from(fast.indices.data)).toEqual(Array.from(general.indices.data));
        // NaN rows (a negative restored weight) compare as NaN: V8 does not keep one NaN bit pattern across paths
        const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer), (b) => ((b & 0x7fffffff) > 0x7f800000 ? 0x7fc00000 : b));
        expect(bits(fast.weights.data)).toEqual(bits(general.weights.data));
      }),
      { seed: 7321, numRuns: 300 },
    );
  });
});
