import type { Backend } from '../backend/define-backend.js';
import type { LogitsSource, MaybePromise } from '../kernels/index.js';
import { restoreTopkWeights } from '../kernels/topk-from-checkpoint.js';
import { lastDim, leadingRows } from '../kernels/check.js';
import { reloadTopk } from '../kernels/topk-reload.js';
import { toF32, type HostTensor } from '../tensor/index.js';
import type { Factor } from './vblora-adapter.js';

export { reloadRows, reloadStoredPairsJs } from '../kernels/topk-reload.js';

/** What {@link reloadTopkWeights} returns. */
export interface ReloadedTopk {
  readonly indices: HostTensor<'i32'>;
  readonly weights: HostTensor<'f32'>;
  /** Rows whose restored weight `1 − Σw` was negative in float32 and was clamped at 0 (never for k = 2). */
  readonly repairedRows: readonly number[];
}

/**
 * The weights PEFT ends up using for a top-k factor: it rebuilds logits `log(w)` (the dropped weight restored as
 * `1 − Σw`, clamped at 0 here so no row becomes NaN), re-runs top-k (descending logit) and softmax. Doing the same
 * on k values per row gives PEFT's numbers without materialising the dense `(…, nv)` logits. With `backend`, its
 * `topkReload` kernel runs it when it has one (the same bits; the result may then be a Promise); otherwise, and by
 * default, core's plain loops (the kernel's reference), synchronously.
 * @throws {ShapeError} / {NumericalError} as the `topkReload` kernel (`checkTopkReloadArgs`).
 */
export function reloadTopkWeights(indices: HostTensor, weightsKm1: HostTensor<'f32'>, k: number): ReloadedTopk;
export function reloadTopkWeights(
  indices: HostTensor,
  weightsKm1: HostTensor<'f32'>,
  k: number,
  backend: Backend | undefined,
): MaybePromise<ReloadedTopk>;
export function reloadTopkWeights(
  indices: HostTensor,
  weightsKm1: HostTensor<'f32'>,
  k: number,
  backend?: Backend,
): MaybePromise<ReloadedTopk> {
  const kernel = backend?.kernels.topkReload;
  if (kernel === undefined) return reloadTopk({ indices, weightsKm1, k });
  const result = kernel({ indices, weightsKm1, k });
  const withRows = (r: { indices: HostTensor<'i32'>; weights: HostTensor<'f32'> }): ReloadedTopk => ({
    indices: r.indices,
    weights: r.weights,
    repairedRows: k === 2 ? [] : repairedRows(weightsKm1),
  });
  return result instanceof Promise ? result.then(withRows) : withRows(result);
}

/** The rows `safeTopkWeights` clamps (arguments already checked by the kernel). */
function repairedRows(weightsKm1: HostTensor<'f32'>): readonly number[] {
  const m = lastDim(weightsKm1.shape);
  return restoreTopkWeights(weightsKm1.data, leadingRows(weightsKm1.shape), m, true).repairedRows;
}

/**
 * A factor as the compose kernel takes it: float32 logits, or the top-k form with PEFT-equivalent weights (reloaded
 * by `backend`'s `topkReload` kernel when it has one, else by core's plain loops, synchronously).
 */
export function factorSource(f: Factor, k: number): LogitsSource;
export function factorSource(f: Factor, k: number, backend: Backend | undefined): MaybePromise<LogitsSource>;
export function factorSource(f: Factor, k: number, backend?: Backend): MaybePromise<LogitsSource> {
  if (f.kind === 'logits') return toF32(f.logits);
  const r = reloadTopkWeights(f.indices, toF32(f.weights), k, backend);
  const form = ({ indices, weights }: ReloadedTopk): LogitsSource => ({ indices, weights });
  return r instanceof Promise ? r.then(form) : form(r);
}
