/**
 * Host tensors in and out of onnxruntime (feeds as plain data, made tensors of the runtime when a graph runs): float32 as is, f16 as its bits, bf16 widened to float32 (exact; the
 * graphs round back to bf16 themselves), integer indices as int32 (read and checked by core's kernel checks).
 * @module
 */
import { fromF32, numel, ShapeError, tensor, toF32, type HostTensor, type WeightDType } from '@vblora/core';
import type { OrtTensorLike } from '../runtime/ort-module.js';
import type { FeedData } from '../runtime/stack-feeds.js';

/** A float input: f32 and bf16 (widened exactly) as float32, f16 as float16 bits. */
export function floatFeed(t: HostTensor): FeedData {
  if (t.dtype === 'f16') return { type: 'float16', data: t.data as Uint16Array, dims: [...t.shape] };
  return { type: 'float32', data: toF32(t).data, dims: [...t.shape] };
}

/** The ONNX element type a float input is fed as. */
export function feedDtype(t: HostTensor): 'f32' | 'f16' {
  return t.dtype === 'f16' ? 'f16' : 'f32';
}

/** Indices already read and range-checked by core's kernel checks, as an int32 input of `dims`. */
export function indexFeed(indices: Int32Array, dims: readonly number[]): FeedData {
  return { type: 'int32', data: indices, dims: [...dims] };
}

/** A float32 input from plain data. */
export function f32Feed(data: Float32Array, dims: readonly number[]): FeedData {
  return { type: 'float32', data, dims: [...dims] };
}

/** An int64 scalar-vector input, e.g. top-k's k. */
export function int64Feed(values: readonly number[]): FeedData {
  return { type: 'int64', data: BigInt64Array.from(values, (v) => BigInt(v)), dims: [values.length] };
}

/** A float32 output as a host tensor of `shape` (checked). */
export function f32Out(t: OrtTensorLike | undefined, shape: readonly number[]): HostTensor<'f32'> {
  if (t === undefined || t.type !== 'float32') throw new ShapeError(`expected a float32 graph output, got ${t?.type}`);
  const size = (t.data as Float32Array).length;
  if (numel(shape) !== size)
    throw new ShapeError(`graph output has ${size} elements, expected shape [${shape.join(', ')}]`);
  return tensor('f32', shape, t.data as Float32Array);
}

/** An int32 output as a host tensor of `shape`. */
export function i32Out(t: OrtTensorLike | undefined, shape: readonly number[]): HostTensor<'i32'> {
  if (t === undefined || t.type !== 'int32') throw new ShapeError(`expected an int32 graph output, got ${t?.type}`);
  return tensor('i32', shape, t.data as Int32Array);
}

/**
 * A float output in `dtype`: float16 outputs are bits already; bf16 graphs end with a Cast to bf16 and back to
 * float32, so the float32 values are exact bf16 values and converting them loses nothing.
 */
export function floatOut<D extends WeightDType>(
  t: OrtTensorLike | undefined,
  shape: readonly number[],
  dtype: D,
): HostTensor<D> {
  if (dtype === 'f16') {
    if (t === undefined || t.type !== 'float16')
      throw new ShapeError(`expected a float16 graph output, got ${t?.type}`);
    return tensor('f16', shape, t.data as Uint16Array) as HostTensor<D>;
  }
  const f = f32Out(t, shape);
  return (dtype === 'f32' ? f : fromF32(f, 'bf16')) as HostTensor<D>;
}
