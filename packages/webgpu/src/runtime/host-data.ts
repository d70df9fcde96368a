/**
 * Host-side data preparation: which host dtypes a GPU tensor accepts, integer index conversion with range checks,
 * and byte views in both directions.
 * @internal
 * @module
 */
import { formatShape, isIntDType, ShapeError, tensor, type HostTensor } from '@vblora/core';
import type { GpuDType } from '../shaders/wgsl-half.js';

/** True when a host tensor can be uploaded as is. */
export function isGpuDType(dtype: string): dtype is GpuDType {
  return dtype === 'f32' || dtype === 'bf16' || dtype === 'f16' || dtype === 'i32';
}

/**
 * Converts an integer tensor (u8 … i64) to i32, checking 0 ≤ v < `bound` when a bound is given (bank rows).
 * @throws {ShapeError} naming `arg` on a non-integer dtype or an out-of-range value.
 */
export function toI32(t: HostTensor, arg: string, kernel: string, bound?: number): HostTensor<'i32'> {
  if (!isIntDType(t.dtype)) {
    throw new ShapeError(`${kernel}: ${arg} must be an integer tensor, got ${t.dtype}`, arg);
  }
  const out = t.dtype === 'i32' && bound === undefined ? (t.data as Int32Array) : new Int32Array(t.data.length);
  for (let i = 0; i < t.data.length; i++) {
    const v = Number(t.data[i]!);
    const ok = bound === undefined ? v >= -(2 ** 31) && v < 2 ** 31 : v >= 0 && v < bound;
    if (!Number.isInteger(v) || !ok) {
      const range = bound === undefined ? 'the int32 range' : `[0, ${bound})`;
      throw new ShapeError(`${kernel}: ${arg}[${i}] = ${v} is out of range, indices must lie in ${range}`, arg);
    }
    out[i] = v;
  }
  return tensor('i32', t.shape, out);
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

/** Throws a ShapeError unless `t` has a dtype the GPU runtime can hold. */
export function requireGpuDType(t: HostTensor, arg: string): asserts t is HostTensor<GpuDType> {
  if (!isGpuDType(t.dtype)) {
    throw new ShapeError(
      `${arg}: a ${t.dtype} tensor ${formatShape(t.shape)} cannot be uploaded; use f32, bf16, f16 or i32`,
      arg
    );
  }
}
