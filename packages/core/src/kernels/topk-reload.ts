/**
 * Kernel `topkReload`: the weights PEFT ends up using for a top-k factor from a checkpoint's stored ones (rebuilt
 * logits `log(w)` with the dropped weight restored as `1 − Σw`, top-k again, softmax), computed on the k values of
 * each row instead of dense `(…, nv)` logits. The restored weight is clamped at 0 (`safeTopkWeights`'s rule), so a
 * row whose stored weights sum above 1 reloads with weight 0 where PEFT gives NaN.
 *
 * Its reference is the plain loops below: {@link reloadRows} for any k, and for k = 2 (PEFT's default)
 * {@link reloadStoredPairsJs}, one pass with the same bits. `composeAdapter` / `factorSource` /
 * `reloadTopkWeights` ask the chosen backend for this kernel and run these loops when it has none.
 * @module
 */
import { ShapeError } from '../errors.js';
import { formatShape, tensor, type HostTensor } from '../tensor/host-tensor.js';
import {
  isHostTensor,
  lastDim,
  leadingRows,
  readIndices,
  requireF32,
  requireInt,
  requireMinRank,
  type TensorInfo,
} from './check.js';
import { F32_TOL, type KernelContract } from './contract.js';
import { reloadKError, storedWeightError } from './kernel-errors.js';
import { checkStoredValues, requireStoredShape, safeTopkWeights } from './topk-from-checkpoint.js';
import { selectTopk, softmaxF32 } from './topk-admixture.js';
import type { HostTensors, IndexTensorOf, TensorFamily, TensorOf } from './tensor-family.js';

/** Arguments of `topkReload`. */
export interface TopkReloadArgs<F extends TensorFamily = HostTensors> {
  /** (..., k) bank indices as stored (any integer dtype). */
  readonly indices: IndexTensorOf<F>;
  /** (..., k−1) float32 stored weights, each in [0, 1]. */
  readonly weightsKm1: TensorOf<F, 'f32'>;
  /** Top-k, ≥ 1 (the last dimension of `indices`; k = 1 stores no weights and reloads weight 1). */
  readonly k: number;
  /** Bank size: when given, every index must lie in [0, nv); otherwise in [0, 2^31). */
  readonly nv?: number;
}

/** Result of `topkReload`. */
export interface TopkReloadResult<F extends TensorFamily = HostTensors> {
  /** (..., k) the indices in the reloaded top-k order (descending rebuilt logit; ties keep the file order). */
  readonly indices: TensorOf<F, 'i32'>;
  /** (..., k) the softmax of the rebuilt logits in that order: the weights PEFT mixes the bank rows with. */
  readonly weights: TensorOf<F, 'f32'>;
}

/** Contract of `topkReload`. */
export const TOPK_RELOAD_CONTRACT: KernelContract<'topkReload'> = {
  name: 'topkReload',
  summary: "PEFT's reload of a top-k factor: indices and weights it mixes, from the stored indices and k−1 weights.",
  inputs: [
    { name: 'indices', dtype: 'int', shape: '(..., k)', doc: 'stored indices' },
    { name: 'weightsKm1', dtype: 'f32', shape: '(..., k−1)', doc: 'stored weights, each in [0, 1]' },
  ],
  attributes: [
    { name: 'k', type: 'integer ≥ 1', doc: 'top-k' },
    { name: 'nv', type: 'integer', optional: true, doc: 'bank size: indices must lie in [0, nv)' },
  ],
  outputs: [
    { name: 'indices', dtype: 'i32', shape: '(..., k)', doc: 'reloaded top-k order' },
    { name: 'weights', dtype: 'f32', shape: '(..., k)', doc: 'softmax of the rebuilt logits' },
  ],
  accuracy: {
    f32: { indices: 'exact', weights: F32_TOL },
    bf16: { indices: 'exact', weights: F32_TOL },
    f16: { indices: 'exact', weights: F32_TOL },
  },
  accuracyNote:
    'Float32 math whatever the backend precision; 0 ≤ weights ≤ 1. The reference defines the bits (log and exp ' +
    'as Math.log / Math.exp give them, rounded to float32; the cpu backend gives them exactly); another backend ' +
    "may sum and divide the softmax its own way, within topkAdmixture's float32 weight tolerance. Indices exact.",
};

/** Sizes read from valid `topkReload` arguments. */
export interface TopkReloadDims {
  readonly k: number;
  readonly rows: number;
  /** The leading dimensions `...` of indices. */
  readonly lead: readonly number[];
  /** Host indices read as int32 (range-checked); absent for device tensors. */
  readonly indices?: Int32Array;
}

/**
 * Checks `topkReload`'s arguments: the rules and messages every backend gives. A stored weight outside [0, 1] is
 * the restore rule's error and keeps `safeTopkWeights`'s message (what `reloadTopkWeights` has always thrown);
 * host indices are range-checked.
 * @throws {ShapeError} on wrong dtypes, k < 1, mismatched shapes or an index out of range.
 * @throws {NumericalError} when a stored weight is not in [0, 1] (a corrupted file).
 */
export function checkTopkReloadArgs(args: {
  readonly indices: TensorInfo;
  readonly weightsKm1: TensorInfo;
  readonly k: number;
  readonly nv?: number;
}): TopkReloadDims {
  const { indices, weightsKm1, k, nv } = args;
  const K = 'topkReload';
  requireF32(weightsKm1, 'weightsKm1', K);
  requireInt(indices, 'indices', K);
  if (!Number.isInteger(k) || k < 1) throw reloadKError(K, k);
  requireMinRank(indices, 1, '(..., k)', 'indices', K);
  if (lastDim(indices.shape) !== k) {
    throw new ShapeError(
      `${K}: indices must have shape (..., ${k}) for k = ${k}, got ${formatShape(indices.shape)}`,
      'indices',
    );
  }
  const lead = requireStoredShape(indices, weightsKm1, k, K);
  const idx = isHostTensor(indices) ? readIndices(indices, nv ?? 2 ** 31, 'indices', K) : undefined;
  // the restore rule's error, with safeTopkWeights's message (what reloadTopkWeights has always thrown)
  if (isHostTensor(weightsKm1)) checkStoredValues(weightsKm1.data as Float32Array, 'safeTopkWeights');
  const dims = { k, rows: leadingRows(indices.shape), lead };
  return idx === undefined ? dims : { ...dims, indices: idx };
}

/**
 * PEFT's reload of a top-k factor (reference, plain loops; see the module doc): checks the arguments, then
 * {@link reloadStoredPairsJs} for k = 2, else `safeTopkWeights` followed by {@link reloadRows}.
 * @throws {ShapeError} / {NumericalError} as {@link checkTopkReloadArgs}.
 */
export function topkReload(args: TopkReloadArgs): TopkReloadResult {
  const { indices, weights } = reloadTopk(args);
  return { indices, weights };
}

/**
 * {@link topkReload} that also returns `safeTopkWeights`'s `repairedRows` (rows whose restored weight `1 − Σw` was
 * negative and was clamped at 0; always empty for k = 2). Core's plain path when a backend has no `topkReload`.
 * @internal
 */
export function reloadTopk(args: TopkReloadArgs): TopkReloadResult & { readonly repairedRows: readonly number[] } {
  const { k, indices: idx } = checkTopkReloadArgs(args);
  const indices = tensor('i32', args.indices.shape, idx!);
  if (k === 2) return { ...reloadStoredPairsJs(indices, args.weightsKm1), repairedRows: [] };
  const { weights, repairedRows } = safeTopkWeights({ weightsKm1: args.weightsKm1 });
  return { ...reloadRows(indices, weights, k), repairedRows };
}

/**
 * The general reload loop over restored weights (rows, k): per row, logits `log(w)`, torch.topk's order of them
 * (descending; equal values keep the file order: core's `selectTopk`) and their softmax, with the indices
 * reordered alike. Steps 2–4 of the `topkReload` kernel on weights already restored (`safeTopkWeights`): a
 * backend that ranks on the host may call it instead of writing the rule again (the cpu backend does for k ≠ 2).
 */
export function reloadRows(
  indices: HostTensor,
  weights: HostTensor<'f32'>,
  k: number,
): { indices: HostTensor<'i32'>; weights: HostTensor<'f32'> } {
  const w = weights.data;
  const rows = w.length / k;
  const outIdx = new Int32Array(w.length);
  const outW = new Float32Array(w.length);
  const lg = new Float32Array(k);
  const sorted = new Float32Array(k);
  const order = new Int32Array(k);
  const data = indices.data;
  for (let row = 0; row < rows; row++) {
    const base = row * k;
    for (let j = 0; j < k; j++) lg[j] = Math.fround(Math.log(w[base + j]!));
    // torch.topk on the rebuilt logits, in core's one top-k order (descending; equal values keep the file order)
    selectTopk(lg, 0, k, k, order, 0);
    for (let j = 0; j < k; j++) sorted[j] = lg[order[j]!]!;
    softmaxF32(sorted, 0, k, outW, base);
    for (let j = 0; j < k; j++) outIdx[base + j] = Number(data[base + order[j]!]!);
  }
  return { indices: tensor('i32', indices.shape, outIdx), weights: tensor('f32', weights.shape, outW) };
}

/**
 * k = 2 (PEFT's default) in one pass from the stored weights, without the intermediate (rows, 2) tensor: the same
 * bits as `safeTopkWeights` followed by {@link reloadRows}. A stored weight v in [0, 1] (checked, with the same
 * error) restores its partner as `1 − v` ≥ 0, so no row needs repair and both logs are ≤ 0 and never both −inf:
 * the larger logit is finite, is softmax's max, and its `exp(0)` is exactly 1 — one `exp` per row instead of two.
 * The reference of the `topkReload` kernel for k = 2, in plain loops.
 * @internal
 */
export function reloadStoredPairsJs(
  indices: HostTensor,
  weightsKm1: HostTensor<'f32'>,
): { indices: HostTensor<'i32'>; weights: HostTensor<'f32'> } {
  requireF32(weightsKm1, 'weightsKm1', 'safeTopkWeights');
  const stored = weightsKm1.data;
  const data = indices.data;
  const outIdx = new Int32Array(2 * stored.length);
  const outW = new Float32Array(2 * stored.length);
  for (let row = 0; row < stored.length; row++) {
    const v = stored[row]!;
    if (!(v >= 0 && v <= 1)) throw storedWeightError(row, v);
    const l0 = Math.fround(Math.log(v));
    const l1 = Math.fround(Math.log(Math.fround(1 - v)));
    const swap = l0 < l1; // insertion keeps the file order unless the second is strictly larger
    const e1 = Math.fround(Math.exp(Math.fround(swap ? l0 - l1 : l1 - l0)));
    const inv = Math.fround(1 / Math.fround(1 + e1));
    const base = 2 * row;
    outW[base] = inv; // fround(1 · inv)
    outW[base + 1] = Math.fround(e1 * inv);
    outIdx[base] = Number(data[base + (swap ? 1 : 0)]!);
    outIdx[base + 1] = Number(data[base + (swap ? 0 : 1)]!);
  }
  return {
    indices: tensor('i32', indices.shape, outIdx),
    weights: tensor('f32', [...weightsKm1.shape.slice(0, -1), 2], outW),
  };
}
