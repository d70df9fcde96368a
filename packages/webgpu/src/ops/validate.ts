/**
 * Argument checks for the GPU kernels, with the same `ShapeError` messages as the reference kernels of
 * `@vblora/core` (which keeps its own checks internal).
 * @internal
 * @module
 */
import { formatShape, ShapeError } from '@vblora/core';
import type { GpuTensor } from '../runtime/gpu-tensor.js';
import type { GpuDType } from '../shaders/wgsl-half.js';

/** The dtype and shape of a host or GPU tensor. */
export interface Described {
  readonly dtype: string;
  readonly shape: readonly number[];
}

/** Throws unless `t.dtype` is one of `dtypes`. */
export function requireDType<D extends GpuDType>(
  t: Described,
  dtypes: readonly D[],
  arg: string,
  kernel: string
): asserts t is GpuTensor<D> {
  if (!(dtypes as readonly string[]).includes(t.dtype)) {
    throw new ShapeError(`${kernel}: ${arg} must be ${dtypes.join(', ')}, got ${t.dtype}`, arg);
  }
}

/** Throws unless `t` has the given shape; `null` entries accept any size, `names` label the dims. */
export function requireShape(
  t: Described,
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

/** Throws unless `t` has at least one dimension and its last one is `n`. */
export function requireLastDim(t: Described, n: number, name: string, arg: string, kernel: string): void {
  if (t.shape.length === 0 || t.shape[t.shape.length - 1] !== n) {
    throw new ShapeError(`${kernel}: ${arg} must have shape (..., ${name}=${n}), got ${formatShape(t.shape)}`, arg);
  }
}

/** Throws unless both shapes are equal. */
export function requireSameShape(t: Described, ref: Described, arg: string, refArg: string, kernel: string): void {
  if (t.shape.length !== ref.shape.length || t.shape.some((d, i) => d !== ref.shape[i])) {
    throw new ShapeError(
      `${kernel}: ${arg} must have the shape of ${refArg} ${formatShape(ref.shape)}, got ${formatShape(t.shape)}`,
      arg
    );
  }
}

/** Throws unless `k` is an integer with 1 ≤ k ≤ nv. */
export function requireK(k: number, nv: number, kernel: string): void {
  if (!Number.isInteger(k) || k < 1 || k > nv) {
    throw new ShapeError(
      `${kernel}: k must be an integer with 1 ≤ k ≤ num_vectors (${nv}), got ${k} ` +
        `(torch.topk would fail with "selected index k out of range")`,
      'k'
    );
  }
}

/** Checks A (r, in) and B (out, r) (f32) and returns [r, in, out]. */
export function lowRankDims(A: Described, B: Described, kernel: string): [number, number, number] {
  requireDType(A, ['f32'], 'A', kernel);
  requireDType(B, ['f32'], 'B', kernel);
  requireShape(A, [null, null], ['r', 'in'], 'A', kernel);
  requireShape(B, [null, null], ['out', 'r'], 'B', kernel);
  const [r, inF] = A.shape as [number, number];
  const [outF, rB] = B.shape as [number, number];
  if (rB !== r) {
    throw new ShapeError(
      `${kernel}: B ${formatShape(B.shape)} must have r = ${r} columns to match A ${formatShape(A.shape)}`,
      'B'
    );
  }
  return [r, inF, outF];
}

/** Product of all dimensions but the last. */
export function leadingRows(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length - 1; i++) n *= shape[i]!;
  return n;
}
