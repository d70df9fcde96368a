/**
 * A one-input op with a hand-written gradient (tf.customGrad typed for the one-input case).
 * @internal
 * @module
 */
import * as tf from '@tensorflow/tfjs';

/** Builds `x ↦ forward(x)` whose gradient is `backward(dy)`. */
export function customUnary(
  forward: (x: tf.Tensor) => tf.Tensor,
  backward: (dy: tf.Tensor) => tf.Tensor,
): (x: tf.Tensor) => tf.Tensor {
  const f = (x: tf.Tensor): { value: tf.Tensor; gradFunc: (dy: tf.Tensor) => tf.Tensor } => ({
    value: forward(x),
    gradFunc: backward,
  });
  const op = tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]);
  return (x) => op(x);
}
