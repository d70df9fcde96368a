/**
 * A (r, in) and B (out, r) of one layer from its logits (or top-k form) and the bank, on tf tensors, with PEFT's
 * layouts (SPEC §4.2): A is rank-major, B tile-major and transposed. Differentiable in logits and bank.
 * @internal
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { mixBank, topkAdmix } from './admixture.js';

/** A factor as compose takes it: dense logits (3-D), or top-k indices with all k weights. */
export type TfFactor = tf.Tensor3D | { readonly indices: Int32Array; readonly weights: tf.Tensor3D };

/** Sub-vectors (d0, d1, vl) of a factor of shape (d0, d1, nv | k). */
function subVectors(f: TfFactor, bank: tf.Tensor2D, k: number): tf.Tensor3D {
  return tf.tidy(() => {
    if (f instanceof tf.Tensor) {
      const [d0, d1, nv] = f.shape;
      return topkAdmix(f.reshape([d0 * d1, nv]), bank, k).vectors.reshape([d0, d1, bank.shape[1]]);
    }
    const [d0, d1, kk] = f.weights.shape;
    return mixBank(f.weights.reshape([d0 * d1, kk]), f.indices, bank).reshape([d0, d1, bank.shape[1]]);
  });
}

/** A (r, in_t·vl) from factor A (r, in_t, ·) and B (out_t·vl, r) from factor B (out_t, r, ·). */
export function composeTf(a: TfFactor, b: TfFactor, bank: tf.Tensor2D, k: number): { A: tf.Tensor2D; B: tf.Tensor2D } {
  return tf.tidy(() => {
    const sA = subVectors(a, bank, k);
    const sB = subVectors(b, bank, k);
    const [r, inT, vl] = sA.shape;
    const [outT, rB] = sB.shape;
    const A = sA.reshape([r, inT * vl]) as tf.Tensor2D;
    // (out_t, r, vl) → (out_t, vl, r) by a transpose: a product with I_r would be exact only for finite values
    // (NaN·0 and inf·0 are NaN, spreading one non-finite sub-vector over all r columns of B)
    const B = tf.transpose(sB, [0, 2, 1]).reshape([outT * vl, rB]) as tf.Tensor2D;
    return { A, B };
  });
}

/** The adapter term (…, out) = (x·Aᵀ)·Bᵀ for x (…, in). */
export function lowRankTerm(x: tf.Tensor, A: tf.Tensor2D, B: tf.Tensor2D): tf.Tensor {
  return tf.tidy(() => {
    const lead = x.shape.slice(0, -1);
    const x2 = x.reshape([-1, A.shape[1]]);
    const t = tf.matMul(tf.matMul(x2, A, false, true), B, false, true);
    return t.reshape([...lead, B.shape[0]]);
  });
}
