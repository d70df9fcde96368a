/**
 * Loss functions for the training loop: each maps (prediction, target) to a scalar.
 * @module
 */
import * as tf from '@tensorflow/tfjs';

/** A training loss: prediction and target to a scalar tensor. */
export type LossFn = (prediction: tf.Tensor, target: tf.Tensor) => tf.Scalar;

/** Mean squared error over all elements. */
export const mseLoss: LossFn = (prediction, target) => tf.mean(tf.squaredDifference(prediction, target)) as tf.Scalar;

/** Mean softmax cross-entropy over the last axis; `target` holds class probabilities (e.g. one-hot). */
export const crossEntropyLoss: LossFn = (prediction, target) =>
  tf.mean(tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(prediction)), -1))) as tf.Scalar;
