/**
 * Kernels `admixtureBackward` and `composeBackward` on TensorFlow.js. They run the very tape the trainer uses:
 * the gradient of ⟨vectors, g⟩ (or ⟨A, gA⟩ + ⟨B, gB⟩) through the differentiable admixture, so the conformance
 * suite checks the training gradients themselves against core's float64 reference.
 * @internal
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { checkAdmixtureBackwardArgs, checkComposeBackwardArgs } from '@vblora/core';
import type { AdmixtureBackwardArgs, AdmixtureGrads, ComposeBackwardArgs, ComposeGrads } from '@vblora/core';
import { topkAdmix } from '../ops/admixture.js';
import { composeTf } from '../ops/compose.js';
import { takeFloat } from './host-bridge.js';

/** See core's `admixtureBackward`. */
export async function admixtureBackward(args: AdmixtureBackwardArgs): Promise<AdmixtureGrads> {
  const { logits, bank, k, gradVectors } = args;
  const { nv, vl, rows } = checkAdmixtureBackwardArgs(args);
  const [gl, gb] = tf.tidy(() => {
    const g = tf.tensor2d(gradVectors.data, [rows, vl]);
    const f = (l: tf.Tensor, b: tf.Tensor): tf.Tensor =>
      tf.sum(tf.mul(topkAdmix(l as tf.Tensor2D, b as tf.Tensor2D, k).vectors, g));
    const [dl, db] = tf.grads(f)([tf.tensor2d(logits.data, [rows, nv]), tf.tensor2d(bank.data, [nv, vl])]);
    return [dl!.reshape(logits.shape as number[]), db!];
  });
  return { gradLogits: await takeFloat(gl!, 'f32'), gradBank: await takeFloat(gb!, 'f32') };
}

/** See core's `composeBackward`. */
export async function composeBackward(args: ComposeBackwardArgs): Promise<ComposeGrads> {
  const { logitsA, logitsB, bank, k, gradA, gradB } = args;
  const { nv, vl, r, inT, outT } = checkComposeBackwardArgs(args);
  const [ga, gb, gbank] = tf.tidy(() => {
    const gA = tf.tensor2d(gradA.data, [r, inT * vl]);
    const gB = tf.tensor2d(gradB.data, [outT * vl, r]);
    const f = (la: tf.Tensor, lb: tf.Tensor, b: tf.Tensor): tf.Tensor => {
      const { A, B } = composeTf(la as tf.Tensor3D, lb as tf.Tensor3D, b as tf.Tensor2D, k);
      return tf.add(tf.sum(tf.mul(A, gA)), tf.sum(tf.mul(B, gB)));
    };
    const grads = tf.grads(f)([
      tf.tensor3d(logitsA.data, [r, inT, nv]),
      tf.tensor3d(logitsB.data, [outT, r, nv]),
      tf.tensor2d(bank.data, [nv, vl]),
    ]);
    return grads;
  });
  return {
    gradLogitsA: await takeFloat(ga!, 'f32'),
    gradLogitsB: await takeFloat(gb!, 'f32'),
    gradBank: await takeFloat(gbank!, 'f32'),
  };
}
