/**
 * Element types of host tensors, named as in safetensors (lower case).
 * Half-precision types (`bf16`, `f16`) and 8-bit floats are stored as raw bit patterns.
 */
export type DType =
  | 'bool'
  | 'u8'
  | 'i8'
  | 'f8_e5m2'
  | 'f8_e4m3'
  | 'i16'
  | 'u16'
  | 'f16'
  | 'bf16'
  | 'i32'
  | 'u32'
  | 'f32'
  | 'f64'
  | 'i64'
  | 'u64';

/** The typed array that holds the elements of each dtype. */
export interface DTypeArrays {
  bool: Uint8Array;
  u8: Uint8Array;
  i8: Int8Array;
  f8_e5m2: Uint8Array;
  f8_e4m3: Uint8Array;
  i16: Int16Array;
  u16: Uint16Array;
  f16: Uint16Array;
  bf16: Uint16Array;
  i32: Int32Array;
  u32: Uint32Array;
  f32: Float32Array;
  f64: Float64Array;
  i64: BigInt64Array;
  u64: BigUint64Array;
}

/** Any typed array a host tensor can hold. */
export type TensorData = DTypeArrays[DType];

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  bool: 1,
  u8: 1,
  i8: 1,
  f8_e5m2: 1,
  f8_e4m3: 1,
  i16: 2,
  u16: 2,
  f16: 2,
  bf16: 2,
  i32: 4,
  u32: 4,
  f32: 4,
  f64: 8,
  i64: 8,
  u64: 8,
};

/** Constructors of the typed array of each dtype. */
export const DTYPE_ARRAY = {
  bool: Uint8Array,
  u8: Uint8Array,
  i8: Int8Array,
  f8_e5m2: Uint8Array,
  f8_e4m3: Uint8Array,
  i16: Int16Array,
  u16: Uint16Array,
  f16: Uint16Array,
  bf16: Uint16Array,
  i32: Int32Array,
  u32: Uint32Array,
  f32: Float32Array,
  f64: Float64Array,
  i64: BigInt64Array,
  u64: BigUint64Array,
} as const;

/** True for the floating-point dtypes a base weight or an adapter may have. */
export function isFloatDType(dtype: DType): dtype is 'f16' | 'bf16' | 'f32' | 'f64' {
  return dtype === 'f16' || dtype === 'bf16' || dtype === 'f32' || dtype === 'f64';
}

/** True for the integer dtypes an index tensor may have. */
export function isIntDType(dtype: DType): dtype is 'u8' | 'i8' | 'i16' | 'u16' | 'i32' | 'u32' | 'i64' | 'u64' {
  return (
    dtype === 'u8' ||
    dtype === 'i8' ||
    dtype === 'i16' ||
    dtype === 'u16' ||
    dtype === 'i32' ||
    dtype === 'u32' ||
    dtype === 'i64' ||
    dtype === 'u64'
  );
}
