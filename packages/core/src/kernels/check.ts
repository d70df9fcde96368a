/**
 * Argument checks shared by the reference kernels: every failure is a {@link ShapeError} naming the argument and
 * saying what was expected.
 * @internal
 * @module
 */
import { ShapeError } from '../errors.js';
import { isIntDType } from '../tensor/dtype.js';
import { formatShape, type HostTensor } from '../tensor/host-tensor.js';
import type { WeightDType } from './contract.js';

/** Throws unless `t` is a float32 tensor. */
export function requireF32(t: HostTensor, arg: string, kernel: string): asserts t is HostTensor<'f32'> {
  if (t.dtype !== 'f32') {
    throw new ShapeError(`${kernel}: ${arg} must be f32, got ${t.dtype} (widen it with toF32 first)`, arg);
  }
}

/** Throws unless `t` is an f32, bf16 or f16 tensor. */
export function requireFloat(t: HostTensor, arg: string, kernel: string): asserts t is HostTensor<WeightDType> {
  if (t.dtype !== 'f32' && t.dtype !== 'bf16' && t.dtype !== 'f16') {
    throw new ShapeError(`${kernel}: ${arg} must be f32, bf16 or f16, got ${t.dtype}`, arg);
  }
}

/**
 * Throws unless `t` has the given shape; `null` entries accept any size. `names` label the dimensions in the
 * message, e.g. `['r', 'in']`.
 */
export function requireShape(
  t: HostTensor,
  expected: readonly (number | null)[],
  names: readonly string[],
  arg: string,
  kernel: string
): void {
  const ok = t.shape.length === expected.length && expected.every((d, i) => d === null || d === t.shape[i]);
  if (!ok) {
    const want = expected.map((d, i) => (d === null ? names[i] ?? '?' : `${names[i] ?? '?'}=${d}`)).join(', ');
    throw new ShapeError(`${kernel}: ${arg} must have shape (${want}), got ${formatShape(t.shape)}`, arg);
  }
}

/** Throws unless the last dimension of `t` is `n` (named `name` in the message). */
export function requireLastDim(t: HostTensor, n: number, name: string, arg: string, kernel: string): void {
  if (lastDim(t.shape) !== n || t.shape.length === 0) {
    throw new ShapeError(`${kernel}: ${arg} must have shape (..., ${name}=${n}), got ${formatShape(t.shape)}`, arg);
  }
}

/** Throws unless `t` has the same shape as `ref`. */
export function requireSameShape(t: HostTensor, ref: HostTensor, arg: string, refArg: string, kernel: string): void {
  if (t.shape.length !== ref.shape.length || t.shape.some((d, i) => d !== ref.shape[i])) {
    throw new ShapeError(
      `${kernel}: ${arg} must have the shape of ${refArg} ${formatShape(ref.shape)}, got ${formatShape(t.shape)}`,
      arg
    );
  }
}

/** Throws unless `t` has at least `rank` dimensions. */
export function requireMinRank(t: HostTensor, rank: number, layout: string, arg: string, kernel: string): void {
  if (t.shape.length < rank) {
    throw new ShapeError(`${kernel}: ${arg} must have shape ${layout}, got ${formatShape(t.shape)}`, arg);
  }
}

/** Throws unless `k` is an integer with 1 ≤ k ≤ nv (torch.topk itself fails with "selected index k out of range"). */
export function requireK(k: number, nv: number, kernel: string): void {
  if (!Number.isInteger(k) || k < 1 || k > nv) {
    throw new ShapeError(
      `${kernel}: k must be an integer with 1 ≤ k ≤ num_vectors (${nv}), got ${k} ` +
        `(torch.topk would fail with "selected index k out of range")`,
      'k'
    );
  }
}

/** Reads an integer index tensor (u8, i16, i32, i64, ...) into an Int32Array, checking 0 ≤ index < nv. */
export function readIndices(t: HostTensor, nv: number, arg: string, kernel: string): Int32Array {
  if (!isIntDType(t.dtype)) {
    throw new ShapeError(`${kernel}: ${arg} must be an integer tensor, got ${t.dtype}`, arg);
  }
  const out = new Int32Array(t.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = Number(t.data[i]!);
    if (!Number.isInteger(v) || v < 0 || v >= nv) {
      throw new ShapeError(`${kernel}: ${arg}[${i}] = ${v} is out of range, indices must lie in [0, ${nv})`, arg);
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
