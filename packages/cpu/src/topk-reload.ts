/**
 * The cpu backend's `topkReload` capability: PEFT's k = 2 top-k reload in WebAssembly (see `reload-pairs.ts`),
 * with the bits and errors of core's plain loop, which it falls back to where WebAssembly SIMD is unavailable.
 * @module
 */
import { reloadStoredPairsJs, storedWeightError, tensor, type TopkReload } from '@vblora/core';
import { wasmReloadPairs } from './reload-pairs.js';

/** The cpu backend's {@link TopkReload}. @internal */
export const CPU_TOPK_RELOAD: TopkReload = {
  reloadPairs(indices, weightsKm1) {
    // another dtype gets the plain loop's own error
    if (weightsKm1.dtype !== 'f32') return reloadStoredPairsJs(indices, weightsKm1);
    const fast = wasmReloadPairs(indices.data, weightsKm1.data);
    if (fast === null) return reloadStoredPairsJs(indices, weightsKm1);
    if ('badRow' in fast) throw storedWeightError(fast.badRow, weightsKm1.data[fast.badRow]!);
    return {
      indices: tensor('i32', indices.shape, fast.idx),
      weights: tensor('f32', [...weightsKm1.shape.slice(0, -1), 2], fast.w),
    };
  },
};
