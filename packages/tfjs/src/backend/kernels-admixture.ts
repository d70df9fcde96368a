/**
 * Kernels `topkAdmixture` and `admixFromTopk` on TensorFlow.js (arguments checked by core's kernel checks).
 * @internal
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import {
  checkAdmixFromTopkArgs,
  checkTopkAdmixtureArgs,
  tensor,
  type AdmixFromTopkArgs,
  type HostTensor,
  type TopkAdmixtureArgs,
  type TopkAdmixtureResult,
} from '@vblora/core';
import { mixBank, selectedWeights } from '../ops/admixture.js';
import { selectTopk } from '../ops/topk-select.js';
import { takeFloat } from './host-bridge.js';

/** See core's `topkAdmixture`. */
export async function topkAdmixture(args: TopkAdmixtureArgs): Promise<TopkAdmixtureResult> {
  const { logits, bank } = args;
  const { nv, vl, k, rows, lead } = checkTopkAdmixtureArgs(args);
  const sel = selectTopk(logits.data, nv, k);
  const [w, v] = tf.tidy(() => {
    const weights = selectedWeights(tf.tensor2d(logits.data, [rows, nv]), sel);
    const vectors = mixBank(weights, sel.indices, tf.tensor2d(bank.data, [nv, vl]));
    return [weights.reshape([...lead, k]), vectors.reshape([...lead, vl])];
  });
  const weights = await takeFloat(w!, 'f32');
  const vectors = await takeFloat(v!, 'f32');
  return { indices: tensor('i32', [...lead, k], sel.indices), weights, vectors };
}

/** See core's `admixFromTopk`. */
export async function admixFromTopk(args: AdmixFromTopkArgs): Promise<HostTensor<'f32'>> {
  const { weights, bank } = args;
  const { nv, vl, k, rows, lead, indices } = checkAdmixFromTopkArgs(args);
  const v = tf.tidy(() =>
    mixBank(tf.tensor2d(weights.data, [rows, k]), indices, tf.tensor2d(bank.data, [nv, vl])).reshape([...lead, vl]),
  );
  return takeFloat(v, 'f32');
}
