/**
 * The differentiable top-k admixture on tf tensors (SPEC §4.1): indices chosen on the host (constants), the
 * selected logits gathered and softmaxed in torch's float32 order (e = exp(v − max), w = e · (1/Σe)), then the
 * selected bank rows mixed. Gradients reach both the logits and the bank through ordinary tf ops.
 * @internal
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { gatherFlat, gatherRows } from './gather-rows.js';
import { selectTopk, type TopkSelection } from './topk-select.js';

/** Softmax weights (rows, k) of the selected logits of `logits2d` (rows, nv). */
export function selectedWeights(logits2d: tf.Tensor2D, sel: TopkSelection): tf.Tensor2D {
  return tf.tidy(() => {
    const vals = gatherFlat(logits2d.reshape([-1]), sel.flat).reshape([sel.rows, sel.k]);
    // the shift is a constant: softmax does not depend on it, so no gradient is lost
    const e = tf.exp(tf.sub(vals, tf.tensor2d(sel.shift, [sel.rows, 1])));
    return tf.mul(e, tf.reciprocal(tf.sum(e, 1, true))) as tf.Tensor2D;
  });
}

/**
 * Mixed sub-vectors (rows, vl) = Σ_j weights[:, j] · bank[indices[:, j]] as one batched product
 * (rows, 1, k)·(rows, k, vl): tf.js's cpu backend runs broadcasting element-wise ops and middle-axis slices
 * element by element through index arithmetic, while its matmul indexes directly. (The k products are summed
 * before one rounding: at most one float32 ulp from torch's product-by-product order.)
 */
export function mixBank(weights: tf.Tensor2D, indices: Int32Array, bank: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const [rows, k] = weights.shape;
    const vl = bank.shape[1];
    const picked = gatherRows(bank, indices).reshape([rows, k, vl]);
    return tf.matMul(weights.reshape([rows, 1, k]), picked).reshape([rows, vl]) as tf.Tensor2D;
  });
}

/** Selection, weights and vectors of `logits2d` (rows, nv) over `bank` (nv, vl). */
export function topkAdmix(
  logits2d: tf.Tensor2D,
  bank: tf.Tensor2D,
  k: number,
): { sel: TopkSelection; weights: tf.Tensor2D; vectors: tf.Tensor2D } {
  const sel = selectTopk(logits2d.dataSync() as Float32Array, logits2d.shape[1], k);
  const weights = selectedWeights(logits2d, sel);
  const vectors = mixBank(weights, sel.indices, bank);
  return { sel, weights, vectors };
}
