/**
 * Kernels `topkAdmixture` and `admixFromTopk`: the differentiable top-k admixture of VB-LoRA (SPEC §4.1). Every
 * row of logits picks its k largest entries, softmaxes them, and mixes the matching bank vectors.
 *
 * Float32 arithmetic follows torch 1.13 CPU step by step (checked bit-exact against PEFT's golden tensors, except
 * torch's vectorised `exp`, which differs from a correctly rounded one by ≤ 2 ulps on the fixtures).
 * @module
 */
import { tensor, type HostTensor } from '../tensor/host-tensor.js';
import {
  isHostTensor,
  lastDim,
  leadingRows,
  readIndices,
  requireF32,
  requireInt,
  requireK,
  requireLastDim,
  requireMinRank,
  requireSameShape,
  requireShape,
  type TensorInfo,
} from './check.js';
import { BF16_TOL, F16_TOL, F32_TOL, type KernelContract } from './contract.js';
import type { HostTensors, IndexTensorOf, TensorFamily, TensorOf } from './tensor-family.js';

/** Arguments of {@link topkAdmixture}. */
export interface TopkAdmixtureArgs<F extends TensorFamily = HostTensors> {
  /** (..., nv) float32 logits. */
  readonly logits: TensorOf<F, 'f32'>;
  /** (nv, vl) float32 vector bank. */
  readonly bank: TensorOf<F, 'f32'>;
  /** Number of bank vectors mixed per row, 1 ≤ k ≤ nv. */
  readonly k: number;
}

/** Result of {@link topkAdmixture}. */
export interface TopkAdmixtureResult<F extends TensorFamily = HostTensors> {
  /** (..., k) selected bank rows, in torch order: descending logit, NaN first, ties lowest index first. */
  readonly indices: TensorOf<F, 'i32'>;
  /** (..., k) softmax of the selected logits, same order. */
  readonly weights: TensorOf<F, 'f32'>;
  /** (..., vl) Σ_j weights[j] · bank[indices[j]]. */
  readonly vectors: TensorOf<F, 'f32'>;
}

/** Arguments of {@link admixFromTopk}. */
export interface AdmixFromTopkArgs<F extends TensorFamily = HostTensors> {
  /** (..., k) bank row indices (any integer dtype). */
  readonly indices: IndexTensorOf<F>;
  /** (..., k) float32 mixing weights. */
  readonly weights: TensorOf<F, 'f32'>;
  /** (nv, vl) float32 vector bank. */
  readonly bank: TensorOf<F, 'f32'>;
}

/** Contract of {@link topkAdmixture}. */
export const TOPK_ADMIXTURE_CONTRACT: KernelContract<'topkAdmixture'> = {
  name: 'topkAdmixture',
  summary: 'Top-k of each logits row, softmax over the k selected logits, weighted sum of the selected bank rows.',
  inputs: [
    { name: 'logits', dtype: 'f32', shape: '(..., nv)', doc: 'logits; NaN ranks highest, -inf allowed' },
    { name: 'bank', dtype: 'f32', shape: '(nv, vl)', doc: 'vector bank' },
  ],
  attributes: [{ name: 'k', type: 'integer, 1 ≤ k ≤ nv', doc: 'vectors per row' }],
  outputs: [
    { name: 'indices', dtype: 'i32', shape: '(..., k)', doc: 'descending logit; ties: lowest index first' },
    { name: 'weights', dtype: 'f32', shape: '(..., k)', doc: 'e = exp(v − max); e · (1 / Σe)' },
    { name: 'vectors', dtype: 'f32', shape: '(..., vl)', doc: 'Σ_j w_j · bank[idx_j], summed in top-k order' },
  ],
  accuracy: {
    f32: { indices: 'exact', weights: F32_TOL, vectors: F32_TOL },
    bf16: { indices: 'exact', weights: BF16_TOL, vectors: BF16_TOL },
    f16: { indices: 'exact', weights: F16_TOL, vectors: F16_TOL },
  },
  accuracyNote:
    'Unit-scale data: |bank| ≤ 1, |logits| ≤ 30. Indices are exact only where the (k)-th and (k+1)-th logits ' +
    'differ by more than the precision resolves; rows with ties compare weights and vectors only.',
};

/** Contract of {@link admixFromTopk}. */
export const ADMIX_FROM_TOPK_CONTRACT: KernelContract<'admixFromTopk'> = {
  name: 'admixFromTopk',
  summary: 'Weighted sum of bank rows for given top-k indices and weights (top-k checkpoints).',
  inputs: [
    { name: 'indices', dtype: 'int', shape: '(..., k)', doc: 'bank rows, 0 ≤ index < nv' },
    { name: 'weights', dtype: 'f32', shape: '(..., k)', doc: 'mixing weights' },
    { name: 'bank', dtype: 'f32', shape: '(nv, vl)', doc: 'vector bank' },
  ],
  attributes: [],
  outputs: [{ name: 'vectors', dtype: 'f32', shape: '(..., vl)', doc: 'Σ_j w_j · bank[idx_j], top-k order' }],
  accuracy: { f32: { vectors: F32_TOL }, bf16: { vectors: BF16_TOL }, f16: { vectors: F16_TOL } },
  accuracyNote: 'Unit-scale data: |bank| ≤ 1, 0 ≤ weights ≤ 1.',
};

/**
 * The top-k order, the one home of the rule every backend follows: true when value `a` (at index `ia`) ranks
 * strictly above `b` (at `ib`). NaN ranks highest, then the larger value, then the lower index (equal values, two
 * NaNs, and −0 against +0 all go to the lower index). This is `torch.topk`'s order on CPU with its ties made
 * deterministic (docs/numerics.md); WGSL, ONNX and WebAssembly ports implement it in their own language and are
 * held to it by the conformance cases with tied, NaN and ±inf logits.
 * @example
 * ```ts
 * topkRanksAbove(NaN, 5, Infinity, 0); // true: NaN ranks highest
 * topkRanksAbove(1, 3, 1, 2); // false: a tie goes to the lower index
 * ```
 */
export function topkRanksAbove(a: number, ia: number, b: number, ib: number): boolean {
  const aNaN = Number.isNaN(a);
  const bNaN = Number.isNaN(b);
  if (aNaN !== bNaN) return aNaN;
  if (!aNaN && a !== b) return a > b;
  return ia < ib; // equal values (or both NaN; −0 equals +0): lowest index first
}

/**
 * Writes the indices of the k highest-ranked entries of `src[offset .. offset+nv)` into `out[outOffset ..]`, in
 * rank order ({@link topkRanksAbove}; insertion into a sorted list of length k, O(nv·k)). The reference kernels
 * and every backend that selects on the host (tfjs) call this, so the top-k rule has one implementation in
 * TypeScript.
 * @example
 * ```ts
 * const out = new Int32Array(2);
 * selectTopk(new Float32Array([0.5, NaN, 2, 2]), 0, 4, 2, out, 0); // out = [1, 2]: NaN first, then the tie's lower index
 * ```
 */
export function selectTopk(
  src: Float32Array,
  offset: number,
  nv: number,
  k: number,
  out: Int32Array,
  outOffset: number,
): void {
  let count = 0;
  for (let j = 0; j < nv; j++) {
    const v = src[offset + j]!;
    // position = number of kept entries that rank above entry j (all of them rank above ties, having lower index)
    let pos = count;
    while (pos > 0 && !topkRanksAbove(src[offset + out[outOffset + pos - 1]!]!, out[outOffset + pos - 1]!, v, j)) pos--;
    if (pos >= k) continue;
    for (let q = Math.min(count, k - 1); q > pos; q--) out[outOffset + q] = out[outOffset + q - 1]!;
    out[outOffset + pos] = j;
    if (count < k) count++;
  }
}

/**
 * Softmax of `vals[offset .. offset+k)` the way torch's CPU float32 kernel computes it: m = max (NaN if any is NaN),
 * e_j = exp(v_j − m), s = Σ e_j in order, w_j = e_j · (1/s), every step rounded to float32.
 * @internal
 */
export function softmaxF32(vals: Float32Array, offset: number, k: number, out: Float32Array, outOffset: number): void {
  let m = -Infinity;
  for (let j = 0; j < k; j++) {
    const v = vals[offset + j]!;
    if (Number.isNaN(v) || Number.isNaN(m)) m = NaN;
    else if (v > m) m = v;
  }
  let s = 0;
  for (let j = 0; j < k; j++) {
    const e = Math.fround(Math.exp(Math.fround(vals[offset + j]! - m)));
    out[outOffset + j] = e;
    s = Math.fround(s + e);
  }
  const inv = Math.fround(1 / s);
  for (let j = 0; j < k; j++) out[outOffset + j] = Math.fround(out[outOffset + j]! * inv);
}

/**
 * vectors[row, c] = Σ_j w[row, j] · bank[idx[row, j], c], products and partial sums rounded to float32.
 * @internal
 */
export function mix(
  idx: Int32Array,
  w: Float32Array,
  rows: number,
  k: number,
  bank: Float32Array,
  vl: number,
): Float32Array {
  const out = new Float32Array(rows * vl); // (rows, vl)
  for (let row = 0; row < rows; row++) {
    for (let c = 0; c < vl; c++) {
      let acc = 0;
      for (let j = 0; j < k; j++) {
        const b = bank[idx[row * k + j]! * vl + c]!;
        acc = Math.fround(acc + Math.fround(w[row * k + j]! * b));
      }
      out[row * vl + c] = acc;
    }
  }
  return out;
}

/** Sizes read from valid {@link topkAdmixture} arguments. */
export interface TopkAdmixtureDims {
  readonly nv: number;
  readonly vl: number;
  readonly k: number;
  /** Number of logits rows (the product of the leading dimensions). */
  readonly rows: number;
  /** The leading dimensions `...` of logits. */
  readonly lead: readonly number[];
}

/**
 * Checks {@link topkAdmixture}'s arguments: the rules and messages every backend gives. Reads only dtypes and
 * shapes, so device tensors are checked too.
 * @throws {ShapeError} on wrong dtypes or shapes, or k outside 1..nv.
 */
export function checkTopkAdmixtureArgs(args: {
  readonly logits: TensorInfo;
  readonly bank: TensorInfo;
  readonly k: number;
}): TopkAdmixtureDims {
  const { logits, bank, k } = args;
  const K = 'topkAdmixture';
  requireF32(logits, 'logits', K);
  requireF32(bank, 'bank', K);
  requireMinRank(logits, 1, '(..., nv)', 'logits', K);
  requireShape(bank, [null, null], ['nv', 'vl'], 'bank', K);
  const nv = bank.shape[0]!;
  const vl = bank.shape[1]!;
  requireLastDim(logits, nv, 'nv', 'logits', K);
  requireK(k, nv, K);
  return { nv, vl, k, rows: leadingRows(logits.shape), lead: logits.shape.slice(0, -1) };
}

/** Sizes read from valid {@link admixFromTopk} arguments. */
export interface AdmixFromTopkDims {
  readonly nv: number;
  readonly vl: number;
  readonly k: number;
  readonly rows: number;
  /** The leading dimensions `...` of indices. */
  readonly lead: readonly number[];
}

/**
 * Checks {@link admixFromTopk}'s arguments: the rules and messages every backend gives. Host indices are read and
 * range-checked (returned as int32); a device tensor's index values are its producer's to guarantee.
 * @throws {ShapeError} on wrong dtypes, mismatched shapes or an index outside [0, nv).
 */
export function checkAdmixFromTopkArgs(args: AdmixFromTopkArgs): AdmixFromTopkDims & { readonly indices: Int32Array };
export function checkAdmixFromTopkArgs(args: {
  readonly indices: TensorInfo;
  readonly weights: TensorInfo;
  readonly bank: TensorInfo;
}): AdmixFromTopkDims;
export function checkAdmixFromTopkArgs(args: {
  readonly indices: TensorInfo;
  readonly weights: TensorInfo;
  readonly bank: TensorInfo;
}): AdmixFromTopkDims & { readonly indices?: Int32Array } {
  const { indices, weights, bank } = args;
  const K = 'admixFromTopk';
  requireF32(weights, 'weights', K);
  requireF32(bank, 'bank', K);
  requireShape(bank, [null, null], ['nv', 'vl'], 'bank', K);
  requireMinRank(indices, 1, '(..., k)', 'indices', K);
  requireSameShape(weights, indices, 'weights', 'indices', K);
  const nv = bank.shape[0]!;
  const dims = {
    nv,
    vl: bank.shape[1]!,
    k: lastDim(indices.shape),
    rows: leadingRows(indices.shape),
    lead: indices.shape.slice(0, -1),
  };
  if (!isHostTensor(indices)) {
    requireInt(indices, 'indices', K);
    return dims;
  }
  return { ...dims, indices: readIndices(indices, nv, 'indices', K) };
}

/**
 * Top-k admixture of logits over a vector bank: indices, softmax weights and mixed sub-vectors (SPEC §4.1).
 * @throws {ShapeError} on wrong dtypes or shapes, or k outside 1..nv.
 * @example
 * ```ts
 * const { vectors } = topkAdmixture({ logits, bank, k: 2 }); // logits (r, in_t, nv) -> vectors (r, in_t, vl)
 * ```
 */
export function topkAdmixture(args: TopkAdmixtureArgs): TopkAdmixtureResult {
  const { logits, bank } = args;
  const { nv, vl, k, rows, lead } = checkTopkAdmixtureArgs(args);
  const { idx, w } = selectAndWeigh(logits.data, rows, nv, k);
  return {
    indices: tensor('i32', [...lead, k], idx),
    weights: tensor('f32', [...lead, k], w),
    vectors: tensor('f32', [...lead, vl], mix(idx, w, rows, k, bank.data, vl)),
  };
}

/** Top-k indices and softmax weights (rows, k) of every row of `logits` (rows, nv). @internal */
export function selectAndWeigh(
  logits: Float32Array,
  rows: number,
  nv: number,
  k: number,
): { idx: Int32Array; w: Float32Array } {
  const idx = new Int32Array(rows * k); // (rows, k)
  const vals = new Float32Array(rows * k); // (rows, k) selected logits
  const w = new Float32Array(rows * k); // (rows, k)
  for (let row = 0; row < rows; row++) {
    selectTopk(logits, row * nv, nv, k, idx, row * k);
    for (let j = 0; j < k; j++) vals[row * k + j] = logits[row * nv + idx[row * k + j]!]!;
    softmaxF32(vals, row * k, k, w, row * k);
  }
  return { idx, w };
}

/**
 * Mixes bank rows for given top-k indices and weights: vectors (..., vl) = Σ_j weights[..., j] · bank[indices[..., j]].
 * @throws {ShapeError} on wrong dtypes, mismatched shapes or an index outside [0, nv).
 */
export function admixFromTopk(args: AdmixFromTopkArgs): HostTensor<'f32'> {
  const { weights, bank } = args;
  const { vl, k, rows, lead, indices } = checkAdmixFromTopkArgs(args);
  return tensor('f32', [...lead, vl], mix(indices, weights.data, rows, k, bank.data, vl));
}
