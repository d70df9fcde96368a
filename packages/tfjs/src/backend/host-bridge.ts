/**
 * Moving tensors between the host (`HostTensor`) and TensorFlow.js: float inputs are widened exactly to float32
 * and float32 results are rounded to bf16/f16 with core's round-to-nearest-even. Arguments are checked before
 * they get here, by core's kernel checks.
 * @internal
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { fromF32, tensor, toF32, type HostTensor, type WeightDType } from '@vblora/core';

/** A (checked) float host tensor as a float32 tf tensor (bf16/f16 widened exactly). */
export function floatToTf(t: HostTensor): tf.Tensor {
  return tf.tensor(toF32(t).data, [...t.shape], 'float32');
}

/** Reads a float32 tf tensor into a host tensor of `dtype` (rounded to nearest even for bf16/f16), then disposes it. */
export async function takeFloat<D extends WeightDType>(t: tf.Tensor, dtype: D): Promise<HostTensor<D>> {
  try {
    const data = (await t.data()) as Float32Array;
    return fromF32(tensor('f32', t.shape, data), dtype) as HostTensor<D>;
  } finally {
    t.dispose();
  }
}

/** Reads an int32 tf tensor into an `i32` host tensor, then disposes it. */
export async function takeInt(t: tf.Tensor): Promise<HostTensor<'i32'>> {
  try {
    return tensor('i32', t.shape, (await t.data()) as Int32Array);
  } finally {
    t.dispose();
  }
}
