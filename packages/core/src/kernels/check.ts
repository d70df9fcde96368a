/**
 * The argument-check primitives every kernel's check is built from: each failure is a {@link ShapeError} (a
 * {@link DTypeError} for a wrong dtype, an {@link IndexRangeError} for an index out of range) naming the kernel
 * and the argument and saying what was expected. They read only a tensor's `dtype` and `shape` ({@link TensorInfo}), so a device tensor is checked by the same code as a host tensor.
 * @module
 */
import { DTypeError, IndexRangeError, ShapeError } from '../errors.js';
import { isIntDType, type DType } from '../tensor/dtype.js';
import { formatShape, type HostTensor } from '../tensor/host-tensor.js';
import { kOutOfRangeError } from './kernel-errors.js';

/** What an argument check reads of a tensor: its dtype and shape (a host tensor, a GPU tensor, …). */
export interface TensorInfo {
  readonly dtype: string;
  readonly shape: readonly number[];
}

/** True for a tensor that carries its elements on the host (so index values can be checked). @internal */
export function isHostTensor(t: TensorInfo): t is HostTensor {
  return 'data' in t;
}

/** "a", "a or b", "a, b or c". */
function orList(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]!}`;
}

/**
 * Throws unless `t.dtype` is one of `dtypes`.
 * @throws {DTypeError} (a `ShapeError`) `"<kernel>: <arg> must be f32, bf16 or f16, got i32"`.
 */
export function requireDType<T extends TensorInfo, D extends string>(
  t: T,
  dtypes: readonly D[],
  arg: string,
  kernel: string,
): asserts t is T & { readonly dtype: D } {
  if (!(dtypes as readonly string[]).includes(t.dtype)) {
    throw new DTypeError(`${kernel}: ${arg} must be ${orList(dtypes)}, got ${t.dtype}`, arg);
  }
}

/** Throws unless `t` is a float32 tensor. @internal */
export function requireF32<T extends TensorInfo>(
  t: T,
  arg: string,
  kernel: string,
): asserts t is T & { readonly dtype: 'f32' } {
  if (t.dtype !== 'f32') {
    throw new DTypeError(`${kernel}: ${arg} must be f32, got ${t.dtype} (widen it with toF32 first)`, arg);
  }
}

/** Throws unless `t` is an f32, bf16 or f16 tensor. @internal */
export function requireFloat<T extends TensorInfo>(
  t: T,
  arg: string,
  kernel: string,
): asserts t is T & { readonly dtype: 'f32' | 'bf16' | 'f16' } {
  requireDType(t, ['f32', 'bf16', 'f16'], arg, kernel);
}

/** Throws unless `t` has an integer dtype (u8 … i64). @internal */
export function requireInt(t: TensorInfo, arg: string, kernel: string): void {
  if (!isIntDType(t.dtype as DType)) {
    throw new DTypeError(`${kernel}: ${arg} must be an integer tensor, got ${t.dtype}`, arg);
  }
}

/**
 * Throws unless `t` has the given shape; `null` entries accept any size. `names` label the dimensions in the
 * message, e.g. `['r', 'in']`.
 * @throws {ShapeError} `"<kernel>: <arg> must have shape (r, in=8), got (2, 7)"`.
 */
export function requireShape(
  t: TensorInfo,
  expected: readonly (number | null)[],
  names: readonly string[],
  arg: string,
  kernel: string,
): void {
  const ok = t.shape.length === expected.length && expected.every((d, i) => d === null || d === t.shape[i]);
  if (!ok) {
    const want = expected.map((d, i) => (d === null ? (names[i] ?? '?') : `${names[i] ?? '?'}=${d}`)).join(', ');
    throw new ShapeError(`${kernel}: ${arg} must have shape (${want}), got ${formatShape(t.shape)}`, arg);
  }
}

/** Throws unless `t` has rank ≥ 1 and its last dimension is `n` (named `name` in the message). @internal */
export function requireLastDim(t: TensorInfo, n: number, name: string, arg: string, kernel: string): void {
  if (t.shape.length === 0 || lastDim(t.shape) !== n) {
    throw new ShapeError(`${kernel}: ${arg} must have shape (..., ${name}=${n}), got ${formatShape(t.shape)}`, arg);
  }
}

/**
 * Throws unless `t` has the same shape as `ref`.
 * @throws {ShapeError} `"<kernel>: <arg> must have the shape of <refArg> (2, 3), got (2, 4)"`.
 */
export function requireSameShape(t: TensorInfo, ref: TensorInfo, arg: string, refArg: string, kernel: string): void {
  if (t.shape.length !== ref.shape.length || t.shape.some((d, i) => d !== ref.shape[i])) {
    throw new ShapeError(
      `${kernel}: ${arg} must have the shape of ${refArg} ${formatShape(ref.shape)}, got ${formatShape(t.shape)}`,
      arg,
    );
  }
}

/** Throws unless `t` has the shape `want` exactly (`want` is printed, e.g. `(2, 5)`). @internal */
export function requireExactShape(t: TensorInfo, want: readonly number[], arg: string, kernel: string): void {
  if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
    throw new ShapeError(`${kernel}: ${arg} must have shape ${formatShape(want)}, got ${formatShape(t.shape)}`, arg);
  }
}

/** Throws unless `t` has at least `rank` dimensions. @internal */
export function requireMinRank(t: TensorInfo, rank: number, layout: string, arg: string, kernel: string): void {
  if (t.shape.length < rank) {
    throw new ShapeError(`${kernel}: ${arg} must have shape ${layout}, got ${formatShape(t.shape)}`, arg);
  }
}

/** Throws unless `k` is an integer with 1 ≤ k ≤ nv (torch.topk itself fails with "selected index k out of range"). @internal */
export function requireK(k: number, nv: number, kernel: string): void {
  if (!Number.isInteger(k) || k < 1 || k > nv) throw kOutOfRangeError(kernel, k, nv);
}

/**
 * Reads an integer index tensor (u8, i16, i32, i64, …) as an Int32Array, checking 0 ≤ index < nv: a wrong index
 * must fail loudly, never read another row. An Int32Array whose values are all valid is returned as is (callers
 * only read it).
 * @throws {DTypeError} `"<kernel>: <arg> must be an integer tensor, got f32"` or {@link IndexRangeError}
 * `"<kernel>: <arg>[3] = 9 is out of range, indices must lie in [0, 8)"`.
 */
export function readIndices(t: HostTensor, nv: number, arg: string, kernel: string): Int32Array {
  requireInt(t, arg, kernel);
  const src = t.data as ArrayLike<number | bigint>;
  if (src instanceof Int32Array) {
    let ok = true;
    for (let i = 0; i < src.length && ok; i++) ok = src[i]! >= 0 && src[i]! < nv;
    if (ok) return src;
  }
  const out = new Int32Array(src.length);
  for (let i = 0; i < out.length; i++) {
    const v = Number(src[i]!);
    if (!Number.isInteger(v) || v < 0 || v >= nv) {
      throw new IndexRangeError(`${kernel}: ${arg}[${i}] = ${v} is out of range, indices must lie in [0, ${nv})`, arg);
    }
    out[i] = v;
  }
  return out;
}

/** Product of all dimensions but the last (the number of rows of a `(..., n)` tensor). */
export function leadingRows(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length - 1; i++) n *= shape[i]!;
  return n;
}

/** Last dimension of a shape (0 for a scalar). */
export function lastDim(shape: readonly number[]): number {
  return shape.length === 0 ? 0 : shape[shape.length - 1]!;
}
