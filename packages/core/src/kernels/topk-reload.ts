/**
 * The top-k reload's reference loops: the weights PEFT ends up using for a top-k factor from the stored ones
 * (rebuilt logits `log(w)`, top-k again, softmax) on k values per row. `reloadTopkWeights` (adapter/factor-source)
 * runs them, or the chosen backend's `topkReload` capability for k = 2.
 * @module
 */
import { tensor, type HostTensor } from '../tensor/host-tensor.js';
import { requireF32 } from './check.js';
import { storedWeightError } from './kernel-errors.js';
import { selectTopk, softmaxF32 } from './topk-admixture.js';

/**
 * The general reload loop over restored weights (rows, k): per row, logits `log(w)`, torch.topk's order of them
 * (descending; equal values keep the file order: core's `selectTopk`) and their softmax, with the indices
 * reordered alike.
 * @internal
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
 * The reference of a backend's `topkReload` capability, in plain loops.
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
