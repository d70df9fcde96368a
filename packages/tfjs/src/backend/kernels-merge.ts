/**
 * Kernels `merge` and `unmerge` on TensorFlow.js: W ± ΔW in float32 on tf, then rounded to the weight's dtype on
 * the host (round to nearest even, the double rounding PEFT does for bf16/f16 weights, SPEC §4.4).
 * @internal
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import {
  checkMergeArgs,
  nonFiniteMergeError,
  toF32,
  type HostTensor,
  type MergeArgs,
  type WeightDType,
} from '@vblora/core';
import { floatToTf, takeFloat } from './host-bridge.js';

async function apply<D extends WeightDType>(
  args: MergeArgs<D>,
  sign: 1 | -1,
  kernel: 'merge' | 'unmerge',
): Promise<HostTensor<D>> {
  const { weight, A, B, fanInFanOut = false, safe = false, adapter = 'default', module } = args;
  const { r, inF, outF } = checkMergeArgs(args, kernel);
  const sum = tf.tidy(() => {
    const w = floatToTf(weight);
    const a = tf.tensor2d(A.data, [r, inF]);
    const b = tf.tensor2d(B.data, [outF, r]);
    const delta = fanInFanOut ? tf.matMul(a, b, true, true) : tf.matMul(b, a);
    return sign === 1 ? tf.add(w, delta) : tf.sub(w, delta);
  });
  const result = await takeFloat(sum, weight.dtype as D);
  if (safe) {
    // checked after rounding: a bf16/f16 result may overflow to inf
    const bad = toF32(result).data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw nonFiniteMergeError(adapter, module, bad);
  }
  return result;
}

/** See core's `merge`. */
export function merge<D extends WeightDType>(args: MergeArgs<D>): Promise<HostTensor<D>> {
  return apply(args, 1, 'merge');
}

/** See core's `unmerge`. */
export function unmerge<D extends WeightDType>(args: MergeArgs<D>): Promise<HostTensor<D>> {
  return apply(args, -1, 'unmerge');
}
