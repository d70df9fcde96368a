import type { Backend } from '../backend/define-backend.js';
import { safeTopkWeights, type LogitsSource } from '../kernels/index.js';
import { lastDim } from '../kernels/check.js';
import { reloadRows, reloadStoredPairsJs } from '../kernels/topk-reload.js';
import { toF32, type HostTensor } from '../tensor/index.js';
import type { Factor } from './vblora-adapter.js';

export { reloadRows, reloadStoredPairsJs } from '../kernels/topk-reload.js';

/**
 * The weights PEFT ends up using for a top-k factor: it rebuilds logits `log(w)` (the dropped weight restored as
 * `1 − Σw`, clamped at 0 here so no row becomes NaN), re-runs top-k (descending logit) and softmax. Doing the same
 * on k values per row gives PEFT's numbers without materialising the dense `(…, nv)` logits. For k = 2 `backend`'s
 * `topkReload` capability runs it when it has one (the same bits); otherwise, and by default, core's plain loops.
 */
export function reloadTopkWeights(
  indices: HostTensor,
  weightsKm1: HostTensor<'f32'>,
  k: number,
  backend?: Backend,
): {
  indices: HostTensor<'i32'>;
  weights: HostTensor<'f32'>;
  repairedRows: readonly number[];
} {
  if (k === 2 && lastDim(weightsKm1.shape) === 1 && indices.data.length === 2 * weightsKm1.data.length) {
    return { ...reloadStoredPairs(indices, weightsKm1, backend), repairedRows: [] };
  }
  const { weights, repairedRows } = safeTopkWeights({ weightsKm1 });
  return { ...reloadRows(indices, weights, k), repairedRows };
}

/**
 * k = 2 (PEFT's default) in one pass from the stored weights: the backend's `topkReload` capability when it has one
 * (the cpu backend's runs in WebAssembly, with the bits of the plain loop), else core's plain loop ({@link reloadStoredPairsJs}).
 * @internal
 */
export function reloadStoredPairs(
  indices: HostTensor,
  weightsKm1: HostTensor<'f32'>,
  backend?: Backend,
): { indices: HostTensor<'i32'>; weights: HostTensor<'f32'> } {
  const reload = backend?.capabilities?.topkReload;
  return reload === undefined ? reloadStoredPairsJs(indices, weightsKm1) : reload.reloadPairs(indices, weightsKm1);
}

/**
 * A factor as the compose kernel takes it: float32 logits, or the top-k form with PEFT-equivalent weights (reloaded
 * by `backend`'s `topkReload` capability when it has one, else by core's plain loops).
 */
export function factorSource(f: Factor, k: number, backend?: Backend): LogitsSource {
  if (f.kind === 'logits') return toF32(f.logits);
  const { indices, weights } = reloadTopkWeights(f.indices, toF32(f.weights), k, backend);
  return { indices, weights };
}
