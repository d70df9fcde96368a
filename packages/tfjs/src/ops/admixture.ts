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
 * Mixed sub-vectors (rows, vl) = Σ_j weights[:, j] · bank[indices[:, j]], accumulated in top-k order (torch's
 * order), one column j at a time: a sum over a middle axis would make tf.js transpose (rows, k, vl) first.
 */
export function mixBank(weights: tf.Tensor2D, indices: Int32Array, bank: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const [rows, k] = weights.shape;
    let acc: tf.Tensor2D | null = null;
    for (let j = 0; j < k; j++) {
      const column = Int32Array.from({ length: rows }, (_, row) => indices[row * k + j]!);
      const term = tf.mul(weights.slice([0, j], [rows, 1]), gatherRows(bank, column)) as tf.Tensor2D;
      acc = acc === null ? term : (tf.add(acc, term) as tf.Tensor2D);
    }
    return acc ?? (tf.zeros([rows, bank.shape[1]]) as tf.Tensor2D);
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
