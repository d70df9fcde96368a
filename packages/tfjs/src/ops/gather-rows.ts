/**
 * `gatherRows`: rows of a matrix picked by constant indices, differentiable on every tfjs backend. The forward is
 * `gatherND`, except on the cpu backend, whose gather kernels convert every element's index to coordinates and
 * back (tens of times slower than copying rows): there the rows are copied straight from the tensor's memory,
 * which that backend keeps in JavaScript anyway. The gradient is a `scatterND` (duplicate indices summed):
 * tf.gather's own gradient needs `UnsortedSegmentSum`, which the wasm backend lacks.
 * @internal
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { customUnary } from './custom-unary.js';

/** Rows `indices` of a row-major (·, d) array, as a new (m, d) tensor. */
function copyRows(src: Float32Array, indices: Int32Array, d: number): tf.Tensor2D {
  const out = new Float32Array(indices.length * d);
  for (let i = 0; i < indices.length; i++) out.set(src.subarray(indices[i]! * d, indices[i]! * d + d), i * d);
  return tf.tensor2d(out, [indices.length, d]);
}

/** out (m, d) = params[indices[i], :]; the gradient scatters dy back into (n, d), summing repeated rows. */
export function gatherRows(params: tf.Tensor2D, indices: Int32Array): tf.Tensor2D {
  const [n, d] = params.shape;
  const m = indices.length;
  const op = customUnary(
    (p) =>
      tf.getBackend() === 'cpu'
        ? copyRows(p.dataSync() as Float32Array, indices, d)
        : tf.tidy(() => tf.gatherND(p, tf.tensor2d(indices, [m, 1], 'int32'))),
    (dy) => tf.tidy(() => tf.scatterND(tf.tensor2d(indices, [m, 1], 'int32'), dy, [n, d])),
  );
  return op(params) as tf.Tensor2D;
}

/** out (m) = values[indices[i]] of a flat tensor, differentiable like {@link gatherRows}. */
export function gatherFlat(values: tf.Tensor1D, indices: Int32Array): tf.Tensor1D {
  return tf.tidy(() => gatherRows(values.reshape([-1, 1]), indices).reshape([-1]));
}
