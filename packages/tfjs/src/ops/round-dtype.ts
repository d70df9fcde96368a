/**
 * Emulated half precision: rounds float32 values to the nearest bf16/f16 value (ties to even) with core's exact
 * conversions. TensorFlow.js has no bfloat16, so a bf16 PEFT model is reproduced by rounding where torch rounds.
 * The gradient passes straight through (rounding is piecewise constant).
 * @internal
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { customUnary } from './custom-unary.js';
import { bf16ArrayToF32, f16ArrayToF32, f32ArrayToBf16, f32ArrayToF16, type WeightDType } from '@vblora/core';

/** Rounds a Float32Array to `dtype` values (returned as float32). */
export function roundArray(values: Float32Array, dtype: WeightDType): Float32Array {
  if (dtype === 'bf16') return bf16ArrayToF32(f32ArrayToBf16(values));
  if (dtype === 'f16') return f16ArrayToF32(f32ArrayToF16(values));
  return values;
}

/** `x` rounded to `dtype` (identity for f32); straight-through gradient. */
export function roundTo(x: tf.Tensor, dtype: WeightDType): tf.Tensor {
  if (dtype === 'f32') return x;
  const op = customUnary(
    (t) => tf.tensor(roundArray(t.dataSync() as Float32Array, dtype), t.shape, 'float32'),
    (dy) => dy.clone(),
  );
  return op(x);
}
