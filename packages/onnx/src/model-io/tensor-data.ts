/**
 * Tensor data of initializers: inline `raw_data`, the typed fields (`float_data`, `int32_data`, ...) and external
 * files, read into host tensors; host tensors written back as `raw_data`.
 * @module
 */
import {
  checkMemoryBudget,
  DEFAULT_MAX_MEMORY_BYTES,
  DTYPE_ARRAY,
  DTYPE_BYTES,
  numel,
  tensor,
  type DType,
  type HostTensor,
  type TensorData,
} from '@vblora/core';
import { OnnxModelError } from '../errors.js';
import { toInt, type Int64Like, type onnx } from '../proto.js';
import { externalDataRef, noFolderError } from './external-ref.js';
import { dtypeFromOnnx, onnxFromDtype } from './onnx-dtype.js';
import type { OnnxModel } from './onnx-model.js';

interface TypedArrayCtor {
  new (length: number): TensorData;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TensorData;
}

/** How a tensor's bytes are stored. */
export type TensorStorage = 'raw' | 'typed' | 'external';

/** Dimensions of a tensor proto as numbers. */
export function tensorDims(t: onnx.ITensorProto): number[] {
  return (t.dims ?? []).map((d) => toInt(d));
}

/** Host dtype of a tensor proto. @throws {UnsupportedError} for non-numeric types. */
export function tensorDtype(t: onnx.ITensorProto): DType {
  return dtypeFromOnnx(t.dataType ?? 0, `tensor ${t.name ?? '(unnamed)'}`);
}

/**
 * Byte size of a tensor's data (elements × element size).
 * @throws {OnnxModelError} when a dimension is negative or the size is beyond 2⁵³ − 1 bytes.
 */
export function tensorByteLength(t: onnx.ITensorProto): number {
  const dims = tensorDims(t);
  const nbytes = numel(dims) * DTYPE_BYTES[tensorDtype(t)];
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0) || !Number.isSafeInteger(nbytes)) {
    const name = t.name ?? '(unnamed)';
    throw new OnnxModelError(
      `tensor ${name}: shape [${dims.join(', ')}] is not a valid tensor size`,
      'tensor-dims',
      name,
    );
  }
  return nbytes;
}

/** Where a tensor's data are stored. */
export function storageOf(t: onnx.ITensorProto): TensorStorage {
  if (externalDataRef(t) !== null) return 'external';
  return t.rawData !== null && t.rawData !== undefined && t.rawData.length > 0 ? 'raw' : 'typed';
}

/** Views (or, when misaligned, copies) little-endian bytes as the typed array of `dtype`. */
export function typedView(dtype: DType, bytes: Uint8Array): TensorData {
  const Ctor = DTYPE_ARRAY[dtype] as unknown as TypedArrayCtor;
  const width = DTYPE_BYTES[dtype];
  const n = bytes.byteLength / width;
  if (bytes.byteOffset % width === 0) return new Ctor(bytes.buffer, bytes.byteOffset, n);
  const out = new Ctor(n);
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes);
  return out;
}

/** The bytes of a host tensor's data (a view, no copy). */
export function hostBytes(t: HostTensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

const big = (v: Int64Like): bigint => (typeof v === 'object' && v !== null ? BigInt(v.toString()) : BigInt(v ?? 0));

/** Data of a tensor stored in the typed fields (what `onnx.helper.make_tensor` writes without `raw=True`). */
function typedFieldData(t: onnx.ITensorProto, dtype: DType, n: number): TensorData {
  const name = t.name ?? '(unnamed)';
  const pick = (values: readonly unknown[] | null | undefined, field: string): readonly unknown[] => {
    const v = values ?? [];
    if (v.length !== n) {
      throw new OnnxModelError(
        `tensor ${name}: ${field} has ${v.length} values, its shape needs ${n}`,
        'tensor-size',
        name,
      );
    }
    return v;
  };
  switch (dtype) {
    case 'f32':
      return Float32Array.from(pick(t.floatData, 'float_data') as number[]);
    case 'f64':
      return Float64Array.from(pick(t.doubleData, 'double_data') as number[]);
    case 'i64':
      return BigInt64Array.from(pick(t.int64Data, 'int64_data') as Int64Like[], big);
    case 'u32':
      return Uint32Array.from(pick(t.uint64Data, 'uint64_data') as Int64Like[], (v) => toInt(v));
    case 'u64':
      return BigUint64Array.from(pick(t.uint64Data, 'uint64_data') as Int64Like[], (v) => BigInt.asUintN(64, big(v)));
    default: {
      // int32_data holds every type of 32 bits or fewer; 16-bit floats as their bit patterns
      const Ctor = DTYPE_ARRAY[dtype] as unknown as { from(v: readonly number[]): TensorData };
      return Ctor.from(pick(t.int32Data, 'int32_data') as number[]);
    }
  }
}

/** Options of {@link readTensorData}. */
export interface ReadTensorOptions {
  /** Memory budget for the tensor's own buffer, when one is allocated (default `DEFAULT_MAX_MEMORY_BYTES`). */
  readonly maxMemoryBytes?: number;
}

/**
 * Reads an initializer into a host tensor. Inline raw data come back as a view into the model's bytes (copied only
 * when misaligned): treat them as read-only. External data are read with the model's `readExternal` (in Node: from
 * inside the model's folder).
 * @throws {OnnxModelError} when the stored data do not match the shape or cannot be read.
 * @throws {ResourceLimitError} when the tensor's buffer would be over the memory budget.
 */
export async function readTensorData(
  model: OnnxModel,
  t: onnx.ITensorProto,
  options: ReadTensorOptions = {},
): Promise<HostTensor> {
  const name = t.name ?? '(unnamed)';
  const dtype = tensorDtype(t);
  const dims = tensorDims(t);
  const nbytes = tensorByteLength(t);
  const budget = options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
  const ref = externalDataRef(t);
  if (ref !== null) {
    if (model.readExternal === undefined) throw noFolderError(ref.location, name);
    const bytes = await model.readExternal(ref, nbytes, name, budget);
    return tensor(dtype, dims, typedView(dtype, bytes));
  }
  const raw = t.rawData;
  if (raw !== null && raw !== undefined && (raw.length > 0 || nbytes === 0)) {
    if (raw.length !== nbytes) {
      throw new OnnxModelError(
        `tensor ${name}: raw_data has ${raw.length} bytes, shape [${dims.join(', ')}] of ${dtype} needs ${nbytes}`,
        'tensor-size',
        name,
      );
    }
    return tensor(dtype, dims, typedView(dtype, raw));
  }
  // the typed fields were decoded already (and counted then); their host copy is new
  checkMemoryBudget(nbytes, `reading tensor ${name}`, budget);
  return tensor(dtype, dims, typedFieldData(t, dtype, numel(dims)));
}

/** A tensor proto holding a host tensor as inline `raw_data` (a view of its data, no copy). */
export function tensorProtoFromHost(name: string, t: HostTensor): onnx.ITensorProto {
  return { name, dims: [...t.shape], dataType: onnxFromDtype(t.dtype), rawData: hostBytes(t) };
}
