/**
 * Casting float host tensors between f32, f16 and bf16 (round to nearest even), for tensors that replace
 * initializers of another dtype.
 * @module
 */
import { AdapterError, fromF32, isFloatDType, toF32, type DType, type HostTensor } from '@vblora/core';

/** `t` in `dtype` (the same tensor when it already has it). @throws {AdapterError} for non-float tensors. */
export function castFloat(t: HostTensor, dtype: DType, what: string): HostTensor {
  if (t.dtype === dtype) return t;
  if (isFloatDType(t.dtype) && (dtype === 'f32' || dtype === 'f16' || dtype === 'bf16'))
    return fromF32(toF32(t), dtype);
  throw new AdapterError(`${what}: cannot cast a ${t.dtype} tensor to ${dtype}`);
}
