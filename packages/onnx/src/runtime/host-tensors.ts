/**
 * Host tensors (`@vblora/core`'s `HostTensor`) in and out of onnxruntime, so callers need not build tensors of
 * the runtime themselves.
 * @module
 */
import { tensor, toF32, UnsupportedError, type HostTensor } from '@vblora/core';
import { requireOrt, type OrtModule, type OrtTensorLike } from './ort-module.js';

/**
 * A host tensor as a tensor of the onnxruntime module `ort`, sharing its data: f32, f16 (as float16 bits), i32
 * and i64 as they are; bf16 widened (exactly) to float32, since onnxruntime's JS API has no bf16 tensors.
 * @throws {UnsupportedError} for other dtypes.
 * @throws {ConfigError} without `ort`.
 */
export function toOrtTensor(t: HostTensor, ort: Pick<OrtModule, 'Tensor'>): OrtTensorLike {
  const { Tensor } = requireOrt(ort, 'toOrtTensor');
  const dims = [...t.shape];
  switch (t.dtype) {
    case 'f32':
    case 'bf16':
      return new Tensor('float32', toF32(t).data, dims);
    case 'f16':
      return new Tensor('float16', t.data as Uint16Array, dims);
    case 'i32':
      return new Tensor('int32', t.data as Int32Array, dims);
    case 'i64':
      return new Tensor('int64', t.data as BigInt64Array, dims);
    default:
      throw new UnsupportedError(`toOrtTensor: ${t.dtype} tensors cannot be fed to onnxruntime here`);
  }
}

/**
 * An onnxruntime output as a host tensor, sharing its data (float32, float16, int32, int64).
 * @throws {UnsupportedError} for other element types.
 */
export function fromOrtTensor(t: OrtTensorLike): HostTensor {
  const dims = t.dims;
  switch (t.type) {
    case 'float32':
      return tensor('f32', dims, t.data as Float32Array);
    case 'float16':
      return tensor('f16', dims, t.data as Uint16Array);
    case 'int32':
      return tensor('i32', dims, t.data as Int32Array);
    case 'int64':
      return tensor('i64', dims, t.data as BigInt64Array);
    default:
      throw new UnsupportedError(`fromOrtTensor: onnxruntime ${t.type} outputs are not read here`);
  }
}
