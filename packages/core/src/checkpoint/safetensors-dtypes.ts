/**
 * Element-type names of the safetensors format and their order, which decides where each tensor goes in a file.
 * @module
 */
import { DTYPE_BYTES, type DType } from '../tensor/index.js';

/**
 * Every dtype name of the Rust `safetensors::Dtype` enum, in declaration order (= increasing alignment).
 * The Rust writer places tensors by *descending* position in this list, so the order is part of the byte format.
 * Names we cannot hold in a {@link DType} (4/6-bit floats, E8M0, complex) are listed so the reader can tell
 * "valid but unsupported" from "not a dtype at all".
 */
export const SAFETENSORS_DTYPE_ORDER: readonly string[] = [
  'BOOL',
  'F4',
  'F6_E2M3',
  'F6_E3M2',
  'U8',
  'I8',
  'F8_E5M2',
  'F8_E4M3',
  'F8_E8M0',
  'F8_E4M3FNUZ',
  'F8_E5M2FNUZ',
  'I16',
  'U16',
  'F16',
  'BF16',
  'I32',
  'U32',
  'F32',
  'C64',
  'F64',
  'I64',
  'U64',
];

/** The safetensors name of each host dtype (our names are the lower-case safetensors names). */
export const SAFETENSORS_DTYPE_NAMES: Readonly<Record<DType, string>> = {
  bool: 'BOOL',
  u8: 'U8',
  i8: 'I8',
  f8_e5m2: 'F8_E5M2',
  f8_e4m3: 'F8_E4M3',
  i16: 'I16',
  u16: 'U16',
  f16: 'F16',
  bf16: 'BF16',
  i32: 'I32',
  u32: 'U32',
  f32: 'F32',
  f64: 'F64',
  i64: 'I64',
  u64: 'U64',
};

// Built once: Map lookups cannot be fooled by names such as `constructor` or `__proto__`.
const FROM_NAME: ReadonlyMap<string, DType> = new Map(
  (Object.entries(SAFETENSORS_DTYPE_NAMES) as [DType, string][]).map(([d, n]) => [n, d]),
);
const RANK: ReadonlyMap<string, number> = new Map(SAFETENSORS_DTYPE_ORDER.map((n, i) => [n, i]));

/** The host dtype for a safetensors dtype name (case-sensitive, as in the file), or `undefined` if we have none. */
export function dtypeFromSafetensorsName(name: string): DType | undefined {
  return FROM_NAME.get(name);
}

/** True when `name` is a dtype of the safetensors format, whether or not a {@link DType} can hold it. */
export function isSafetensorsDTypeName(name: string): boolean {
  return RANK.has(name);
}

/** True when `value` is one of our host dtype names (a runtime check for untyped input). */
export function isHostDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.hasOwn(SAFETENSORS_DTYPE_NAMES, value);
}

/** Position of a host dtype in {@link SAFETENSORS_DTYPE_ORDER}; higher ranks are written first. */
export function safetensorsDTypeRank(dtype: DType): number {
  // Every DType has an entry in both tables, so the lookup cannot miss.
  return RANK.get(SAFETENSORS_DTYPE_NAMES[dtype]) ?? -1;
}

/**
 * Bytes a tensor takes in a file, or `undefined` when a partial product leaves the safe-integer range.
 * Multiplies left to right and checks each step, like the Rust reader's `checked_mul` fold, so it is never
 * more lenient than the official library.
 */
export function safetensorsByteSize(dtype: DType, shape: readonly number[]): number | undefined {
  let n = 1;
  for (const d of [...shape, DTYPE_BYTES[dtype]]) {
    if (d !== 0 && n > Number.MAX_SAFE_INTEGER / d) return undefined;
    n *= d;
  }
  return n;
}
