/**
 * ONNX tensor element types ↔ host dtypes.
 * @module
 */
import { UnsupportedError, type DType } from '@vblora/core';
import { DataType } from '../proto.js';

const TO_ONNX: Readonly<Partial<Record<DType, number>>> = {
  f32: DataType.FLOAT,
  u8: DataType.UINT8,
  i8: DataType.INT8,
  u16: DataType.UINT16,
  i16: DataType.INT16,
  i32: DataType.INT32,
  i64: DataType.INT64,
  bool: DataType.BOOL,
  f16: DataType.FLOAT16,
  f64: DataType.DOUBLE,
  u32: DataType.UINT32,
  u64: DataType.UINT64,
  bf16: DataType.BFLOAT16,
};

const FROM_ONNX: ReadonlyMap<number, DType> = new Map(
  Object.entries(TO_ONNX).map(([d, code]) => [code as number, d as DType]),
);

/** Host dtype of an ONNX element type code. @throws {UnsupportedError} for strings, complex and 8-bit floats. */
export function dtypeFromOnnx(code: number, where: string): DType {
  const d = FROM_ONNX.get(code);
  if (d === undefined) {
    throw new UnsupportedError(`${where}: ONNX element type ${code} is not supported (numeric tensors only)`);
  }
  return d;
}

/** ONNX element type code of a host dtype. @throws {UnsupportedError} for 8-bit floats. */
export function onnxFromDtype(dtype: DType): number {
  const code = TO_ONNX[dtype];
  if (code === undefined) throw new UnsupportedError(`dtype ${dtype} has no ONNX element type here`);
  return code;
}
