/**
 * Host tensors (`@vblora/core`'s `HostTensor`) in and out of onnxruntime-node, so callers need not build
 * `ort.Tensor`s themselves.
 * @module
 */
import * as ort from 'onnxruntime-node';
import { tensor, toF32, UnsupportedError, type HostTensor } from '@vblora/core';

/**
 * A host tensor as an onnxruntime feed, sharing its data: f32, f16 (as float16 bits), i32 and i64 as they are;
 * bf16 widened (exactly) to float32, since onnxruntime's JS API has no bf16 tensors.
 * @throws {UnsupportedError} for other dtypes.
 */
export function toOrtTensor(t: HostTensor): ort.Tensor {
  const dims = [...t.shape];
  switch (t.dtype) {
    case 'f32':
    case 'bf16':
      return new ort.Tensor('float32', toF32(t).data, dims);
    case 'f16':
      return new ort.Tensor('float16', t.data as Uint16Array, dims);
    case 'i32':
      return new ort.Tensor('int32', t.data as Int32Array, dims);
    case 'i64':
      return new ort.Tensor('int64', t.data as BigInt64Array, dims);
    default:
      throw new UnsupportedError(`toOrtTensor: ${t.dtype} tensors cannot be fed to onnxruntime-node here`);
  }
}

/**
 * An onnxruntime output as a host tensor, sharing its data (float32, float16, int32, int64).
 * @throws {UnsupportedError} for other element types.
 */
export function fromOrtTensor(t: ort.Tensor): HostTensor {
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
