/**
 * Kernels `topkAdmixture` and `admixFromTopk` on TensorFlow.js.
 * @internal
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { tensor, type AdmixFromTopkArgs, type HostTensor, type TopkAdmixtureArgs, type TopkAdmixtureResult } from '@vblora/core';
import { mixBank, selectedWeights } from '../ops/admixture.js';
import { selectTopk } from '../ops/topk-select.js';
import { readIndices, takeFloat } from './host-bridge.js';
import { require2d, requireF32, requireK, requireLast, requireSameShape } from './checks.js';

/** See core's `topkAdmixture`. */
export async function topkAdmixture(args: TopkAdmixtureArgs): Promise<TopkAdmixtureResult> {
  const { logits, bank, k } = args;
  const K = 'topkAdmixture';
  requireF32(logits, 'logits', K);
  requireF32(bank, 'bank', K);
  const [nv, vl] = require2d(bank, '(nv, vl)', 'bank', K);
  const rows = requireLast(logits, nv, 'nv', 'logits', K);
  requireK(k, nv, K);
  const lead = logits.shape.slice(0, -1);
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
  const { indices, weights, bank } = args;
  const K = 'admixFromTopk';
  requireF32(weights, 'weights', K);
  requireF32(bank, 'bank', K);
  const [nv, vl] = require2d(bank, '(nv, vl)', 'bank', K);
  if (indices.shape.length === 0) requireLast(indices, 1, 'k', 'indices', K);
  requireSameShape(weights, indices, 'weights', 'indices', K);
  const k = indices.shape[indices.shape.length - 1]!;
  const idx = readIndices(indices, nv, 'indices', K);
  const rows = k === 0 ? 0 : idx.length / k;
  const v = tf.tidy(() =>
    mixBank(tf.tensor2d(weights.data, [rows, k]), idx, tf.tensor2d(bank.data, [nv, vl])).reshape([
      ...indices.shape.slice(0, -1),
      vl,
    ]),
  );
  return takeFloat(v, 'f32');
}
