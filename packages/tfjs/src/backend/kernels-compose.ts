/**
 * Kernels `composeLowRank` and `deltaWeight` on TensorFlow.js (arguments checked by core's kernel checks).
 * @internal
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import {
  checkComposeLowRankArgs,
  checkDeltaWeightArgs,
  isTopk,
  type ComposeLowRankArgs,
  type DeltaWeightArgs,
  type HostTensor,
  type LogitsSource,
  type LowRankPair,
} from '@vblora/core';
import { composeTf, type TfFactor } from '../ops/compose.js';
import { takeFloat } from './host-bridge.js';

/** One checked logits source as a tf factor (3-D logits, or int32 indices + weights). */
function toFactor(src: LogitsSource, indices: Int32Array | undefined): TfFactor {
  if (isTopk(src)) {
    const [d0, d1, d2] = src.weights.shape as [number, number, number];
    return { indices: indices!, weights: tf.tensor3d(src.weights.data, [d0, d1, d2]) };
  }
  const [d0, d1, d2] = src.shape as [number, number, number];
  return tf.tensor3d(src.data, [d0, d1, d2]);
}

/** See core's `composeLowRank`. */
export async function composeLowRank(args: ComposeLowRankArgs): Promise<LowRankPair> {
  const { logitsA, logitsB, bank } = args;
  const { nv, vl, k, indicesA, indicesB } = checkComposeLowRankArgs(args);
  const [A, B] = tf.tidy(() => {
    const pair = composeTf(
      toFactor(logitsA, indicesA),
      toFactor(logitsB, indicesB),
      tf.tensor2d(bank.data, [nv, vl]),
      k,
    );
    return [pair.A, pair.B];
  });
  return { A: await takeFloat(A!, 'f32'), B: await takeFloat(B!, 'f32') };
}

/** See core's `deltaWeight`. */
export async function deltaWeight(args: DeltaWeightArgs): Promise<HostTensor<'f32'>> {
  const { A, B, fanInFanOut = false } = args;
  const { r, inF, outF } = checkDeltaWeightArgs(args);
  const d = tf.tidy(() => {
    const a = tf.tensor2d(A.data, [r, inF]);
    const b = tf.tensor2d(B.data, [outF, r]);
    return fanInFanOut ? tf.matMul(a, b, true, true) : tf.matMul(b, a);
  });
  return takeFloat(d, 'f32');
}
