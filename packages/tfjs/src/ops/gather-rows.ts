/**
 * `gatherRows`: rows of a matrix picked by constant indices, differentiable on every tfjs backend. tf.gather's
 * own gradient needs the `UnsortedSegmentSum` kernel, which the wasm backend lacks; the gradient here is a
 * `scatterND` (duplicate indices summed), which cpu, wasm and webgl all implement.
 * @internal
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { customUnary } from './custom-unary.js';

/** out (m, d) = params[indices[i], :]; the gradient scatters dy back into (n, d), summing repeated rows. */
export function gatherRows(params: tf.Tensor2D, indices: Int32Array): tf.Tensor2D {
  const [n, d] = params.shape;
  const m = indices.length;
  const op = customUnary(
    (p) => tf.tidy(() => tf.gather(p, tf.tensor1d(indices, 'int32'))),
    (dy) => tf.tidy(() => tf.scatterND(tf.tensor2d(indices, [m, 1], 'int32'), dy, [n, d])),
  );
  return op(params) as tf.Tensor2D;
}

/** out (m) = values[indices[i]] of a flat tensor, differentiable like {@link gatherRows}. */
export function gatherFlat(values: tf.Tensor1D, indices: Int32Array): tf.Tensor1D {
  return tf.tidy(() => gatherRows(values.reshape([-1, 1]), indices).reshape([-1]));
}
