/**
 * The cpu backend's `topkReload` kernel: PEFT's k = 2 top-k reload in WebAssembly (see `reload-pairs.ts`), with
 * the bits and errors of core's reference. For any other k, and where WebAssembly SIMD is unavailable, it runs core's
 * exported plain loops (`reloadStoredPairsJs`, `reloadRows` after `safeTopkWeights`: the reference's own
 * implementation, uncounted), so those cases are the reference's by construction.
 * @module
 */
import {
  checkTopkReloadArgs,
  reloadRows,
  reloadStoredPairsJs,
  safeTopkWeights,
  storedWeightError,
  tensor,
  type TopkReloadArgs,
  type TopkReloadResult,
} from '@vblora/core';
import { wasmReloadPairs } from './reload-pairs.js';

/** See core's `topkReload`. */
export function cpuTopkReload(args: TopkReloadArgs): TopkReloadResult {
  const { k, indices: idx } = checkTopkReloadArgs(args);
  const { weightsKm1 } = args;
  const indices = tensor('i32', args.indices.shape, idx!);
  if (k !== 2) return reloadRows(indices, safeTopkWeights({ weightsKm1 }).weights, k);
  const fast = wasmReloadPairs(idx!, weightsKm1.data);
  if (fast === null) return reloadStoredPairsJs(indices, weightsKm1);
  if ('badRow' in fast) throw storedWeightError(fast.badRow, weightsKm1.data[fast.badRow]!);
  return {
    indices: tensor('i32', indices.shape, fast.idx),
    weights: tensor('f32', [...weightsKm1.shape.slice(0, -1), 2], fast.w),
  };
}
