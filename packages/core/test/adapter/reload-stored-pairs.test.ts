import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reloadRows, reloadStoredPairsJs, reloadTopkWeights } from '../../src/adapter/factor-source.js';
import {
  NumericalError,
  referenceBackend,
  safeTopkWeights,
  tensor,
  type HostTensor,
  type TopkReloadResult,
} from '../../src/index.js';
import { createCpuBackend } from '@vblora/cpu';

// the cpu backend's topkReload kernel (WebAssembly) must give the plain loop's bits
const cpu = createCpuBackend();

/** A backend's topkReload kernel for k = 2, called synchronously (the cpu and reference kernels answer at once). */
const kernelOf =
  (b: typeof cpu) =>
  (indices: HostTensor, weightsKm1: HostTensor<'f32'>): TopkReloadResult =>
    b.kernels.topkReload!({ indices, weightsKm1, k: 2 }) as TopkReloadResult;
const viaCpu = kernelOf(cpu);
const viaReference = kernelOf(referenceBackend);
const viaCore = (indices: HostTensor, weightsKm1: HostTensor<'f32'>) => reloadTopkWeights(indices, weightsKm1, 2);

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

// reloadStoredPairsJs is the k = 2 path of the topkReload kernel (the cpu backend's in WebAssembly, or the JS loop
// where WebAssembly SIMD is missing): from the stored weights in one pass, it must give the
// bits of the general path (safeTopkWeights, then the general reload loop) on any stored weight in [0, 1],
// including 0 and 1 (a log of −inf), ±0, 0.5 (a tie: file order kept), subnormals, and weights near 1/2.
describe('topkReload for k = 2 (wasm and JS) = safeTopkWeights + the general reload loop for k = 2 (fast-check, seed 7321)', () => {
  const stored = fc.oneof(
    fc.float({ min: 0, max: 1, noNaN: true }),
    fc.constantFrom(0, -0, 1, 0.5, 1e-45, 2 ** -126, 1 - 2 ** -24, 0.5 - 2 ** -25, 0.5 + 2 ** -24),
  );
  it('same indices and weight bits on any row', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(stored, fc.integer({ min: 0, max: 2047 }), fc.integer({ min: 0, max: 2047 })), {
          minLength: 1,
          maxLength: 40,
        }),
        (rows) => {
          const w = tensor('f32', [rows.length, 1], Float32Array.from(rows.map(([v]) => v)));
          const idx = tensor('i16', [rows.length, 2], Int16Array.from(rows.flatMap(([, i, j]) => [i, j])));
          const general = reloadRows(idx, safeTopkWeights({ weightsKm1: w }).weights, 2);
          for (const reload of [viaCore, viaCpu, viaReference, reloadStoredPairsJs]) {
            const fast = reload(idx, w);
            expect(fast.indices.shape).toEqual(general.indices.shape);
            expect(fast.weights.shape).toEqual(general.weights.shape);
            expect(Array.from(fast.indices.data)).toEqual(Array.from(general.indices.data));
            expect(bits(fast.weights.data)).toEqual(bits(general.weights.data));
          }
        },
      ),
      { seed: 7321, numRuns: 300 },
    );
  });

  it('refuses a stored weight outside [0, 1] with the error safeTopkWeights gives', () => {
    for (const bad of [Number.NaN, -0.25, 1.5, Number.POSITIVE_INFINITY]) {
      const w = tensor('f32', [3, 1], Float32Array.from([0.7, bad, 0.6]));
      const idx = tensor('i32', [3, 2], Int32Array.from([0, 1, 2, 3, 4, 5]));
      const general = (() => {
        try {
          safeTopkWeights({ weightsKm1: w });
        } catch (e) {
          return e as Error;
        }
        throw new Error('safeTopkWeights accepted a bad weight');
      })();
      for (const reload of [viaCore, viaCpu, viaReference, reloadStoredPairsJs]) {
        expect(() => reload(idx, w)).toThrow(NumericalError);
        expect(() => reload(idx, w)).toThrow(general.message);
      }
      expect(() => reloadTopkWeights(idx, w, 2)).toThrow(general.message);
      expect(() => reloadTopkWeights(idx, w, 2, cpu)).toThrow(general.message);
    }
  });

  it('reloadTopkWeights takes it for k = 2 and reports no repaired rows', () => {
    const w = tensor('f32', [2, 2, 1], Float32Array.from([0.75, 1, 0, 0.5]));
    const idx = tensor('i64', [2, 2, 2], BigInt64Array.from([5n, 9n, 1n, 2n, 3n, 4n, 7n, 8n]));
    const r = reloadTopkWeights(idx, w, 2);
    const general = reloadRows(idx, safeTopkWeights({ weightsKm1: w }).weights, 2);
    expect(r.repairedRows).toEqual([]);
    expect(r.weights.shape).toEqual([2, 2, 2]);
    expect(Array.from(r.indices.data)).toEqual(Array.from(general.indices.data));
    expect(bits(r.weights.data)).toEqual(bits(general.weights.data));
  });
});
