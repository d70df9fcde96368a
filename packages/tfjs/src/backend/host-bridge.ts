/**
 * Moving tensors between the host (`HostTensor`) and TensorFlow.js: float inputs are widened exactly to float32,
 * integer indices become int32, and float32 results are rounded to bf16/f16 with core's round-to-nearest-even.
 * @internal
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { fromF32, isIntDType, ShapeError, tensor, toF32, type HostTensor, type WeightDType } from '@vblora/core';

/** A float host tensor as a float32 tf tensor (bf16/f16 widened exactly). */
export function floatToTf(t: HostTensor, arg: string, kernel: string): tf.Tensor {
  if (t.dtype !== 'f32' && t.dtype !== 'bf16' && t.dtype !== 'f16') {
    throw new ShapeError(`${kernel}: ${arg} must be f32, bf16 or f16, got ${t.dtype}`, arg);
  }
  return tf.tensor(toF32(t).data, [...t.shape], 'float32');
}

/**
 * Integer indices as an Int32Array, each checked to lie in [0, n): a wrong index must fail loudly, never read
 * another row.
 */
export function readIndices(t: HostTensor, n: number, arg: string, kernel: string): Int32Array {
  if (!isIntDType(t.dtype)) throw new ShapeError(`${kernel}: ${arg} must be an integer tensor, got ${t.dtype}`, arg);
  const out = new Int32Array(t.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = Number(t.data[i]!);
    if (!Number.isInteger(v) || v < 0 || v >= n) {
      throw new ShapeError(`${kernel}: ${arg}[${i}] = ${v} is out of range, indices must lie in [0, ${n})`, arg);
    }
    out[i] = v;
  }
  return out;
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
