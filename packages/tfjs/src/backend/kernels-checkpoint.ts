/**
 * Kernels `logitsFromTopk`, `topkWeightsForSave` and `topkReload` on TensorFlow.js: the `log` and the softmax run on
 * tf; the bookkeeping around them (restoring the dropped weight, scattering into −inf, the no-NaN nudge, the top-k
 * order) is host-side float32 arithmetic with core's rules, exactly as the contracts describe it (SPEC §5.3–5.4,
 * docs/numerics.md).
 * @internal
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import {
  checkLogitsFromTopkArgs,
  checkTopkReloadArgs,
  checkTopkWeightsForSaveArgs,
  restoreTopkWeights,
  storeTopkWeights,
  tensor,
  type HostTensor,
  type LogitsFromTopkArgs,
  type TopkReloadArgs,
  type TopkReloadResult,
  type TopkWeightsForSaveArgs,
  type TopkWeightsForSaveResult,
} from '@vblora/core';
import { selectedWeights } from '../ops/admixture.js';
import { selectTopk } from '../ops/topk-select.js';

/** See core's `logitsFromTopk`. */
export async function logitsFromTopk(args: LogitsFromTopkArgs): Promise<HostTensor<'f32'>> {
  const { weightsKm1, nv, safe = false } = args;
  const { k, rows, lead, indices: idx } = checkLogitsFromTopkArgs(args);
  // the k−1 stored weights, then 1 − Σ stored; `safe` clamps it at 0 (stored values were checked in [0, 1] above)
  const w = restoreTopkWeights(weightsKm1.data, rows, k - 1, safe).weights;
  const logged = tf.tidy(() => tf.log(tf.tensor1d(w)));
  const lg = (await logged.data()) as Float32Array;
  logged.dispose();
  const out = new Float32Array(rows * nv).fill(-Infinity);
  // duplicate indices: the later write wins, as in torch's scatter
  for (let i = 0; i < idx.length; i++) out[Math.floor(i / k) * nv + idx[i]!] = lg[i]!;
  return tensor('f32', [...lead, nv], out);
}

/** See core's `topkWeightsForSave`. */
export async function topkWeightsForSave(args: TopkWeightsForSaveArgs): Promise<TopkWeightsForSaveResult> {
  const { logits } = args;
  const { nv, k, rows, lead } = checkTopkWeightsForSaveArgs(args);
  const sel = selectTopk(logits.data, nv, k);
  const wt = tf.tidy(() => selectedWeights(tf.tensor2d(logits.data, [rows, nv]), sel));
  const w = (await wt.data()) as Float32Array;
  wt.dispose();
  const m = k - 1;
  const { stored, nudgedRows: nudged } = storeTopkWeights(w, rows, k, 'topkWeightsForSave');
  return {
    indices: tensor('i32', [...lead, k], sel.indices),
    weightsKm1: tensor('f32', [...lead, m], stored),
    nudgedRows: nudged,
  };
}

/** See core's `topkReload`: rebuilt logits `log(w)` (the dropped weight restored, clamped at 0), their top-k order, softmax. */
export async function topkReload(args: TopkReloadArgs): Promise<TopkReloadResult> {
  const { k, rows, lead, indices: idx } = checkTopkReloadArgs(args);
  const w = restoreTopkWeights(args.weightsKm1.data, rows, k - 1, true).weights;
  const logged = tf.tidy(() => tf.log(tf.tensor1d(w)));
  const lg = (await logged.data()) as Float32Array;
  logged.dispose();
  // torch.topk over the k rebuilt logits of each row: core's order (descending, ties keep the stored order)
  const sel = selectTopk(lg, k, k);
  const wt = tf.tidy(() => selectedWeights(tf.tensor2d(lg, [rows, k]), sel));
  const weights = (await wt.data()) as Float32Array;
  wt.dispose();
  const indices = new Int32Array(rows * k);
  for (let i = 0; i < indices.length; i++) indices[i] = idx![Math.floor(i / k) * k + sel.indices[i]!]!;
  return {
    indices: tensor('i32', [...lead, k], indices),
    weights: tensor('f32', [...lead, k], weights),
  };
}
