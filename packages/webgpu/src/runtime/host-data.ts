/**
 * Host-side data preparation: which host dtypes a GPU tensor accepts, and byte views in both directions (index
 * values are read and checked by core's kernel checks before they get here).
 * @internal
 * @module
 */
import { DTypeError, formatShape, tensor, type HostTensor } from '@vblora/core';
import type { GpuDType } from '../shaders/wgsl-half.js';

/** True when a host tensor can be uploaded as is. */
export function isGpuDType(dtype: string): dtype is GpuDType {
  return dtype === 'f32' || dtype === 'bf16' || dtype === 'f16' || dtype === 'i32';
}

/** The bytes of a host tensor (a view, no copy). */
export function bytesOf(t: HostTensor): Uint8Array<ArrayBuffer> {
  const d = t.data as ArrayBufferView<ArrayBuffer>; // host tensors never live in shared memory here
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** A host tensor of `dtype` over a byte array (copied into a fresh, aligned typed array). */
export function fromBytes(dtype: GpuDType, shape: readonly number[], bytes: Uint8Array): HostTensor {
  const copy = bytes.slice().buffer;
  switch (dtype) {
    case 'f32':
      return tensor('f32', shape, new Float32Array(copy));
    case 'i32':
      return tensor('i32', shape, new Int32Array(copy));
    default:
      return tensor(dtype, shape, new Uint16Array(copy));
  }
}

/** Throws a DTypeError (a ShapeError) unless `t` has a dtype the GPU runtime can hold. */
export function requireGpuDType(t: HostTensor, arg: string): asserts t is HostTensor<GpuDType> {
  if (!isGpuDType(t.dtype)) {
    throw new DTypeError(
      `${arg}: a ${t.dtype} tensor ${formatShape(t.shape)} cannot be uploaded; use f32, bf16, f16 or i32`,
      arg,
    );
  }
}
