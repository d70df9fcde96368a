/**
 * Kernels `logitsFromTopk` and `topkWeightsForSave`: the pure math of PEFT's `save_only_topk_weights`
 * checkpoints (SPEC §5.3–§5.4), plus the two repairs that keep us NaN-free where PEFT is not.
 *
 * PEFT stores the k−1 largest softmax weights of each row and reloads the dropped one as `1 − Σw`, then takes
 * `log`. For k ≥ 3 the float32 sum can exceed 1 and the reload gives NaN for the whole layer (fixture
 * `edge_topk3_ties_zero_nan`, row logits_A[0,0]).
 *
 * - Loading (`safe: true` / {@link safeTopkWeights}): the restored weight is clamped at 0 (→ logit −inf). Why
 *   clamp: the true dropped weight is the smallest of k softmax weights, ≥ 0, and when `1 − Σw < 0` it is smaller
 *   than the rounding error of the float32 sum, so 0 is within the file's own precision; the k−1 stored weights
 *   stay bit-identical to what PEFT uses, and a zero weight is the same harmless case PEFT already produces when
 *   `1 − Σw` is exactly 0. Renormalising instead would move every weight of the row.
 * - Saving ({@link topkWeightsForSave}): if the stored weights could sum above 1 in torch, the largest stored weight
 *   is lowered one float32 ulp at a time until they cannot (see {@link reloadsSafely}).
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
  requireK,
  requireMinRank,
  type TensorInfo,
} from './check.js';
import type { KernelContract } from './contract.js';
import { nonFiniteTopkWeightsError, storedWeightError } from './kernel-errors.js';
import { selectAndWeigh } from './topk-admixture.js';
import type { HostTensors, IndexTensorOf, TensorFamily, TensorOf } from './tensor-family.js';

/** Arguments of {@link logitsFromTopk}. */
export interface LogitsFromTopkArgs<F extends TensorFamily = HostTensors> {
  /** (..., k) bank indices from the checkpoint (any integer dtype). */
  readonly indices: IndexTensorOf<F>;
  /** (..., k−1) float32 stored weights (the k−1 largest, descending). */
  readonly weightsKm1: TensorOf<F, 'f32'>;
  /** Bank size (PEFT takes it from the model's bank, not from the file). */
  readonly nv: number;
  /** Clamp a negative restored weight at 0 instead of reproducing PEFT's NaN (default false = PEFT-exact). */
  readonly safe?: boolean;
}

/** Arguments of {@link safeTopkWeights}. */
export interface SafeTopkWeightsArgs {
  /** (..., k−1) float32 stored weights. */
  readonly weightsKm1: HostTensor<'f32'>;
}

/** Result of {@link safeTopkWeights}. */
export interface SafeTopkWeightsResult {
  /** (..., k) all k weights; the last is `max(0, 1 − Σ stored)`. */
  readonly weights: HostTensor<'f32'>;
  /** Flat row numbers (over the leading dims) whose restored weight was negative in float32 and was clamped. */
  readonly repairedRows: readonly number[];
}

/** Arguments of {@link topkWeightsForSave}. */
export interface TopkWeightsForSaveArgs<F extends TensorFamily = HostTensors> {
  /** (..., nv) float32 logits. */
  readonly logits: TensorOf<F, 'f32'>;
  readonly k: number;
}

/** Result of {@link topkWeightsForSave}. */
export interface TopkWeightsForSaveResult<F extends TensorFamily = HostTensors> {
  /** (..., k) as `logits.topk(k).indices` (cast to the index dtype by the writer). */
  readonly indices: TensorOf<F, 'i32'>;
  /** (..., k−1) `softmax(vals)[..., :-1]`, possibly lowered by a few ulps (see `nudgedRows`). */
  readonly weightsKm1: TensorOf<F, 'f32'>;
  /** Flat row numbers whose largest weight was lowered so that PEFT cannot reload the row as NaN. */
  readonly nudgedRows: readonly number[];
}

/** Contract of {@link logitsFromTopk}. */
export const LOGITS_FROM_TOPK_CONTRACT: KernelContract<'logitsFromTopk'> = {
  name: 'logitsFromTopk',
  summary: 'Dense logits from a top-k checkpoint: −inf everywhere, log of the k weights at the k indices.',
  inputs: [
    { name: 'indices', dtype: 'int', shape: '(..., k)', doc: 'stored indices' },
    { name: 'weightsKm1', dtype: 'f32', shape: '(..., k−1)', doc: 'stored weights' },
  ],
  attributes: [
    { name: 'nv', type: 'integer', doc: 'bank size' },
    { name: 'safe', type: 'boolean', optional: true, doc: 'clamp the restored weight at 0 (no NaN)' },
  ],
  outputs: [
    { name: 'logits', dtype: 'f32', shape: '(..., nv)', doc: 'PEFT-exact (NaN where PEFT gives NaN unless safe)' },
  ],
  accuracy: {
    f32: { logits: { atol: 0, rtol: 2 ** -23 } },
    bf16: { logits: { atol: 0, rtol: 2 ** -23 } },
    f16: { logits: { atol: 0, rtol: 2 ** -23 } },
  },
  accuracyNote:
    'Host-side float32 math whatever the backend precision. Exact except that float32 log may differ by 1 ulp ' +
    '(rtol 2^-23 bounds one ulp); NaN and ±inf must match exactly.',
};

/** Contract of {@link topkWeightsForSave}. */
export const TOPK_WEIGHTS_FOR_SAVE_CONTRACT: KernelContract<'topkWeightsForSave'> = {
  name: 'topkWeightsForSave',
  summary: 'Top-k indices and the k−1 largest softmax weights, as PEFT saves them, never reloading as NaN.',
  inputs: [{ name: 'logits', dtype: 'f32', shape: '(..., nv)', doc: 'finite logits' }],
  attributes: [{ name: 'k', type: 'integer, 1 ≤ k ≤ nv', doc: 'top-k' }],
  outputs: [
    { name: 'indices', dtype: 'i32', shape: '(..., k)', doc: 'torch order' },
    { name: 'weightsKm1', dtype: 'f32', shape: '(..., k−1)', doc: 'softmax(vals)[..., :-1]' },
  ],
  accuracy: {
    f32: { indices: 'exact', weightsKm1: { atol: 0, rtol: 5e-7 } },
    bf16: { indices: 'exact', weightsKm1: { atol: 0, rtol: 5e-7 } },
    f16: { indices: 'exact', weightsKm1: { atol: 0, rtol: 5e-7 } },
  },
  accuracyNote: 'Host-side float32 math. Weights within 4 ulps (exp differences, plus rare safety nudges).',
};

/** Float32 sum of `w[offset .. offset+m)` in index order, each partial sum rounded (torch's order for small m). */
function sumF32(w: Float32Array, offset: number, m: number): number {
  let s = 0;
  for (let j = 0; j < m; j++) s = Math.fround(s + w[offset + j]!);
  return s;
}

function checkStored(weightsKm1: TensorInfo, kernel: string): void {
  requireF32(weightsKm1, 'weightsKm1', kernel);
  requireMinRank(weightsKm1, 1, '(..., k−1)', 'weightsKm1', kernel);
}

/**
 * The stored weights' shape must be the indices' with k − 1 last (`(..., k)` and `(..., k−1)`); returns the leading
 * dimensions. Shared by the checkpoint kernels (`logitsFromTopk`, `topkReload`).
 * @internal
 */
export function requireStoredShape(
  indices: TensorInfo,
  weightsKm1: TensorInfo,
  k: number,
  kernel: string,
): readonly number[] {
  const lead = indices.shape.slice(0, -1);
  const okShape =
    weightsKm1.shape.length === indices.shape.length &&
    lead.every((d, i) => d === weightsKm1.shape[i]) &&
    lastDim(weightsKm1.shape) === k - 1;
  if (!okShape) {
    throw new ShapeError(
      `${kernel}: weightsKm1 must have shape ${formatShape([...lead, k - 1])} to match indices ${formatShape(
        indices.shape,
      )}, got ${formatShape(weightsKm1.shape)}`,
      'weightsKm1',
    );
  }
  return lead;
}

/**
 * Throws unless every stored weight is in [0, 1] (NaN, infinite or negative: a corrupted file).
 * @internal
 */
export function checkStoredValues(weightsKm1: Float32Array, kernel: string): void {
  for (let i = 0; i < weightsKm1.length; i++) {
    const v = weightsKm1[i]!;
    if (!(v >= 0 && v <= 1)) throw storedWeightError(i, v, kernel);
  }
}

/**
 * All k weights of each row of a top-k checkpoint as PEFT restores them, the one home of that rule: the k−1
 * stored weights `stored` (rows, m = k−1), then the dropped one as `1 − Σ stored`, summed in index order with
 * every partial sum rounded to float32 (torch's order for small m). That can be negative (PEFT then reloads the
 * row as NaN); with `clampAtZero` a negative restored weight becomes 0 and its row is listed in `repairedRows`.
 * The reference kernels, {@link safeTopkWeights} and every backend that restores on the host call this; the ONNX
 * graph builds the same sum from nodes.
 * @example
 * ```ts
 * restoreTopkWeights(new Float32Array([0.75, 0.25]), 2, 1, false).weights; // [0.75, 0.25, 0.25, 0.75]
 * ```
 */
export function restoreTopkWeights(
  stored: Float32Array,
  rows: number,
  m: number,
  clampAtZero: boolean,
): { weights: Float32Array; repairedRows: number[] } {
  const k = m + 1;
  const w = new Float32Array(rows * k); // (rows, k)
  const repairedRows: number[] = [];
  for (let row = 0; row < rows; row++) {
    for (let j = 0; j < m; j++) w[row * k + j] = stored[row * m + j]!;
    let last = Math.fround(1 - sumF32(stored, row * m, m));
    if (clampAtZero && last < 0) {
      last = 0;
      repairedRows.push(row);
    }
    w[row * k + m] = last;
  }
  return { weights: w, repairedRows };
}

/** {@link restoreTopkWeights} of a (…, k−1) tensor. */
function restore(weightsKm1: HostTensor<'f32'>, clampAtZero: boolean): { w: Float32Array; repaired: number[] } {
  const { weights, repairedRows } = restoreTopkWeights(
    weightsKm1.data,
    leadingRows(weightsKm1.shape),
    lastDim(weightsKm1.shape),
    clampAtZero,
  );
  return { w: weights, repaired: repairedRows };
}

/**
 * Restores all k weights of a top-k checkpoint without NaN: the restored weight is `max(0, 1 − Σ stored)`.
 * @throws {NumericalError} when a stored weight is NaN, infinite or negative (a corrupted file; nothing to repair).
 * @throws {ShapeError} on a wrong dtype or rank.
 */
export function safeTopkWeights(args: SafeTopkWeightsArgs): SafeTopkWeightsResult {
  const { weightsKm1 } = args;
  checkStored(weightsKm1, 'safeTopkWeights');
  checkStoredValues(weightsKm1.data, 'safeTopkWeights');
  const { w, repaired } = restore(weightsKm1, true);
  return {
    weights: tensor('f32', [...weightsKm1.shape.slice(0, -1), lastDim(weightsKm1.shape) + 1], w),
    repairedRows: repaired,
  };
}

/** Sizes read from valid {@link logitsFromTopk} arguments. */
export interface LogitsFromTopkDims {
  readonly nv: number;
  readonly k: number;
  readonly rows: number;
  /** The leading dimensions `...` of indices. */
  readonly lead: readonly number[];
}

/**
 * Checks {@link logitsFromTopk}'s arguments: the rules and messages every backend gives. Host indices are read and
 * range-checked (returned as int32), and with `safe` the stored weights must lie in [0, 1].
 * @throws {ShapeError} on wrong dtypes, mismatched shapes, k outside 1..nv or an index outside [0, nv).
 * @throws {NumericalError} with `safe` when a stored weight is not in [0, 1].
 */
export function checkLogitsFromTopkArgs(
  args: LogitsFromTopkArgs,
): LogitsFromTopkDims & { readonly indices: Int32Array };
export function checkLogitsFromTopkArgs(args: {
  readonly indices: TensorInfo;
  readonly weightsKm1: TensorInfo;
  readonly nv: number;
  readonly safe?: boolean;
}): LogitsFromTopkDims;
export function checkLogitsFromTopkArgs(args: {
  readonly indices: TensorInfo;
  readonly weightsKm1: TensorInfo;
  readonly nv: number;
  readonly safe?: boolean;
}): LogitsFromTopkDims & { readonly indices?: Int32Array } {
  const { indices, weightsKm1, nv, safe = false } = args;
  const K = 'logitsFromTopk';
  checkStored(weightsKm1, K);
  requireMinRank(indices, 1, '(..., k)', 'indices', K);
  const k = lastDim(indices.shape);
  const lead = requireStoredShape(indices, weightsKm1, k, K);
  requireK(k, nv, K);
  const dims = { nv, k, rows: leadingRows(indices.shape), lead };
  if (!isHostTensor(indices)) {
    requireInt(indices, 'indices', K);
    return dims;
  }
  const idx = readIndices(indices, nv, 'indices', K);
  if (safe && isHostTensor(weightsKm1)) checkStoredValues(weightsKm1.data as Float32Array, K);
  return { ...dims, indices: idx };
}

/**
 * Dense float32 logits (..., nv) from a top-k checkpoint exactly as PEFT rebuilds them: −inf everywhere and
 * `log(w_j)` at `indices[j]`, with `w_{k−1} = 1 − Σ stored` (NaN when that is negative, unless `safe`).
 * @throws {ShapeError} on wrong dtypes, mismatched shapes or an index outside [0, nv).
 * @throws {NumericalError} with `safe` when a stored weight is not in [0, 1].
 */
export function logitsFromTopk(args: LogitsFromTopkArgs): HostTensor<'f32'> {
  const { weightsKm1, nv, safe = false } = args;
  const { k, rows, lead, indices: idx } = checkLogitsFromTopkArgs(args);
  const w = restore(weightsKm1, safe).w;
  const out = new Float32Array(rows * nv).fill(-Infinity); // (rows, nv)
  for (let row = 0; row < rows; row++) {
    // torch.log: log(0) = −inf, log(negative) = NaN; duplicate indices: the later write wins, as in torch's scatter
    for (let j = 0; j < k; j++) out[row * nv + idx[row * k + j]!] = Math.fround(Math.log(w[row * k + j]!));
  }
  return tensor('f32', [...lead, nv], out);
}

const f32Box = new Float32Array(1);
const u32Box = new Uint32Array(f32Box.buffer);

/** The next float32 below a positive float32 `x`. */
function nextDownPositive(x: number): number {
  f32Box[0] = x;
  u32Box[0] = u32Box[0]! - 1;
  return f32Box[0];
}

/**
 * True when PEFT cannot reload these m = k−1 stored weights as NaN, i.e. torch's float32 `1 − Σw` is ≥ 0.
 * For m ≤ 2 the sum has one possible order, so the exact float32 sum must be ≤ 1. For m ≥ 3 torch may sum in a
 * vectorised order; any order of m − 1 additions, each rounding a partial sum ≤ 1 by at most 2^-25, stays ≤ 1 when
 * the exact sum is ≤ 1 − (m − 1)·2^-25 (the float64 sum is exact up to m·2^-53, allowed for too).
 * @internal
 */
export function reloadsSafely(w: Float32Array, offset: number, m: number): boolean {
  if (sumF32(w, offset, m) > 1) return false;
  if (m <= 2) return true;
  let exact = 0;
  for (let j = 0; j < m; j++) exact += w[offset + j]!;
  return exact + m * 2 ** -52 <= 1 - (m - 1) * 2 ** -25;
}

/**
 * The k−1 weights a top-k checkpoint stores for each row of `w` (rows × k softmax weights in descending order),
 * with the largest lowered by ulps where needed so PEFT can never reload the row as NaN. Shared by every backend's
 * `topkWeightsForSave`, so the save rule exists once.
 * @throws {NumericalError} when a row holds a non-finite weight (PEFT would save NaN).
 */
export function storeTopkWeights(
  w: Float32Array,
  rows: number,
  k: number,
  kernel = 'topkWeightsForSave',
): { stored: Float32Array; nudgedRows: number[] } {
  const m = k - 1;
  const stored = new Float32Array(rows * m); // (rows, k−1)
  const nudgedRows: number[] = [];
  for (let row = 0; row < rows; row++) {
    for (let j = 0; j < k; j++) {
      if (!Number.isFinite(w[row * k + j]!)) throw nonFiniteTopkWeightsError(kernel, row);
    }
    stored.set(w.subarray(row * k, row * k + m), row * m);
    if (!reloadsSafely(stored, row * m, m)) {
      nudgedRows.push(row);
      while (!reloadsSafely(stored, row * m, m)) stored[row * m] = nextDownPositive(stored[row * m]!);
    }
  }
  return { stored, nudgedRows };
}

/** Sizes read from valid {@link topkWeightsForSave} arguments. */
export interface TopkWeightsForSaveDims {
  readonly nv: number;
  readonly k: number;
  readonly rows: number;
  /** The leading dimensions `...` of logits. */
  readonly lead: readonly number[];
}

/**
 * Checks {@link topkWeightsForSave}'s arguments: the rules and messages every backend gives.
 * @throws {ShapeError} on a wrong dtype or shape, or k outside 1..nv.
 */
export function checkTopkWeightsForSaveArgs(args: {
  readonly logits: TensorInfo;
  readonly k: number;
}): TopkWeightsForSaveDims {
  const { logits, k } = args;
  const K = 'topkWeightsForSave';
  requireF32(logits, 'logits', K);
  requireMinRank(logits, 1, '(..., nv)', 'logits', K);
  const nv = lastDim(logits.shape);
  requireK(k, nv, K);
  return { nv, k, rows: leadingRows(logits.shape), lead: logits.shape.slice(0, -1) };
}

/**
 * Top-k indices and the k−1 largest softmax weights of each logits row, as PEFT's `save_only_topk_weights` writes
 * them, with the largest weight lowered by ulps where needed so the file can never reload as NaN in PEFT.
 * @throws {NumericalError} when a row's weights are not finite (NaN/+inf logits, or a row of only −inf).
 * @throws {ShapeError} on a wrong dtype or shape, or k outside 1..nv.
 */
export function topkWeightsForSave(args: TopkWeightsForSaveArgs): TopkWeightsForSaveResult {
  const { logits } = args;
  const K = 'topkWeightsForSave';
  const { nv, k, rows, lead } = checkTopkWeightsForSaveArgs(args);
  const { idx, w } = selectAndWeigh(logits.data, rows, nv, k); // softmax weights in top-k order
  const { stored, nudgedRows: nudged } = storeTopkWeights(w, rows, k, K);
  return {
    indices: tensor('i32', [...lead, k], idx),
    weightsKm1: tensor('f32', [...lead, k - 1], stored),
    nudgedRows: nudged,
  };
}
