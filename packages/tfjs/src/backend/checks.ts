/**
 * Argument checks of the tfjs kernels: the same rules as core's reference kernels, each failure a `ShapeError`
 * naming the kernel and the argument, so a caller sees one behaviour whichever backend runs.
 * @internal
 * @module
 */
import { formatShape, ShapeError, type HostTensor } from '@vblora/core';

/** Throws unless `t` is float32. */
export function requireF32(t: HostTensor, arg: string, kernel: string): asserts t is HostTensor<'f32'> {
  if (t.dtype !== 'f32') throw new ShapeError(`${kernel}: ${arg} must be f32, got ${t.dtype}`, arg);
}

/** Throws unless `t` is 2-D; returns its two dims. */
export function require2d(t: HostTensor, names: string, arg: string, kernel: string): [number, number] {
  if (t.shape.length !== 2) throw new ShapeError(`${kernel}: ${arg} must have shape ${names}, got ${formatShape(t.shape)}`, arg);
  return [t.shape[0]!, t.shape[1]!];
}

/** Throws unless `t` has rank ≥ 1 and its last dim is `n`; returns the product of the other dims. */
export function requireLast(t: HostTensor, n: number, name: string, arg: string, kernel: string): number {
  const last = t.shape[t.shape.length - 1];
  if (t.shape.length === 0 || last !== n) {
    throw new ShapeError(`${kernel}: ${arg} must have shape (..., ${name}=${n}), got ${formatShape(t.shape)}`, arg);
  }
  return n === 0 ? 0 : t.data.length / n;
}

/** Throws unless `a` and `b` have equal shapes. */
export function requireSameShape(a: HostTensor, b: HostTensor, argA: string, argB: string, kernel: string): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(
      `${kernel}: ${argA} must have the shape of ${argB} ${formatShape(b.shape)}, got ${formatShape(a.shape)}`,
      argA,
    );
  }
}

/** Throws unless `shape` equals `want`. */
export function requireShape(t: HostTensor, want: readonly number[], layout: string, arg: string, kernel: string): void {
  if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
    throw new ShapeError(`${kernel}: ${arg} must have shape ${formatShape(want)} ${layout}, got ${formatShape(t.shape)}`, arg);
  }
}

/** Throws unless 1 ≤ k ≤ nv (torch.topk fails with "selected index k out of range" otherwise). */
export function requireK(k: number, nv: number, kernel: string): void {
  if (!Number.isInteger(k) || k < 1 || k > nv) {
    throw new ShapeError(`${kernel}: k must be an integer with 1 ≤ k ≤ num_vectors (${nv}), got ${k}`, 'k');
  }
}

/** Checks A (r, in) and B (out, r) and returns [r, in, out]. */
export function lowRankDims(A: HostTensor, B: HostTensor, kernel: string): [number, number, number] {
  requireF32(A, 'A', kernel);
  requireF32(B, 'B', kernel);
  const [r, inF] = require2d(A, '(r, in)', 'A', kernel);
  const [outF, rB] = require2d(B, '(out, r)', 'B', kernel);
  if (rB !== r) {
    throw new ShapeError(`${kernel}: B ${formatShape(B.shape)} must have r = ${r} columns to match A ${formatShape(A.shape)}`, 'B');
  }
  return [r, inF, outF];
}
