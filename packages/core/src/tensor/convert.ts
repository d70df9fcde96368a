import { UnsupportedError } from '../errors.js';
import { bf16ArrayToF32, f16ArrayToF32, f32ArrayToBf16, f32ArrayToF16 } from './half.js';
import { tensor, type HostTensor } from './host-tensor.js';

/** Float dtypes that can be widened to float32 exactly. */
export type FloatDType = 'f16' | 'bf16' | 'f32' | 'f64';

/**
 * Widens a float tensor to float32: exact for f16/bf16/f32; f64 is rounded to nearest f32.
 * An f32 input is returned as is (no copy).
 */
export function toF32(t: HostTensor): HostTensor<'f32'> {
  switch (t.dtype) {
    case 'f32':
      return t as HostTensor<'f32'>;
    case 'bf16':
      return tensor('f32', t.shape, bf16ArrayToF32(t.data as Uint16Array));
    case 'f16':
      return tensor('f32', t.shape, f16ArrayToF32(t.data as Uint16Array));
    case 'f64':
      return tensor('f32', t.shape, Float32Array.from(t.data as Float64Array));
    default:
      throw new UnsupportedError(`cannot convert a ${t.dtype} tensor to f32: only f16, bf16, f32 and f64 are floats`);
  }
}

/** Rounds a float32 tensor to `dtype` (round to nearest even for f16/bf16; f32 is returned as is). */
export function fromF32<D extends FloatDType>(t: HostTensor<'f32'>, dtype: D): HostTensor<D> {
  switch (dtype) {
    case 'f32':
      return t as unknown as HostTensor<D>;
    case 'bf16':
      return tensor('bf16', t.shape, f32ArrayToBf16(t.data)) as unknown as HostTensor<D>;
    case 'f16':
      return tensor('f16', t.shape, f32ArrayToF16(t.data)) as unknown as HostTensor<D>;
    default:
      return tensor('f64', t.shape, Float64Array.from(t.data)) as unknown as HostTensor<D>;
  }
}
