/**
 * `gatherRows`: rows of a matrix picked by constant indices, differentiable on every tfjs backend. It uses
 * `gatherND` (the cpu backend copies whole rows; its `gather` walks element by element, ~20× slower here), and
 * its own gradient, a `scatterND` (duplicate indices summed): tf.gather's gradient needs `UnsortedSegmentSum`,
 * which the wasm backend lacks.
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
    (p) => tf.tidy(() => tf.gatherND(p, tf.tensor2d(indices, [m, 1], 'int32'))),
    (dy) => tf.tidy(() => tf.scatterND(tf.tensor2d(indices, [m, 1], 'int32'), dy, [n, d])),
  );
  return op(params) as tf.Tensor2D;
}

/** out (m) = values[indices[i]] of a flat tensor, differentiable like {@link gatherRows}. */
export function gatherFlat(values: tf.Tensor1D, indices: Int32Array): tf.Tensor1D {
  return tf.tidy(() => gatherRows(values.reshape([-1, 1]), indices).reshape([-1]));
}
