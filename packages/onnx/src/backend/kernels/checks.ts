/**
 * Argument checks of the onnxruntime kernels (the graphs themselves would fail later, with less clear messages).
 * @module
 */
import { formatShape, ShapeError, type HostTensor } from '@vblora/core';

/** Throws unless `t` is float32. */
export function requireF32(t: HostTensor, arg: string, kernel: string): asserts t is HostTensor<'f32'> {
  if (t.dtype !== 'f32') throw new ShapeError(`${kernel}: ${arg} must be f32, got ${t.dtype}`, arg);
}

/** Throws unless `t` is f32, bf16 or f16. */
export function requireFloat(t: HostTensor, arg: string, kernel: string): void {
  if (t.dtype !== 'f32' && t.dtype !== 'bf16' && t.dtype !== 'f16') {
    throw new ShapeError(`${kernel}: ${arg} must be f32, bf16 or f16, got ${t.dtype}`, arg);
  }
}

/** Checks a (nv, vl) float32 bank and returns [nv, vl]. */
export function checkBank(bank: HostTensor, kernel: string): [number, number] {
  requireF32(bank, 'bank', kernel);
  if (bank.shape.length !== 2) throw new ShapeError(`${kernel}: bank must have shape (nv, vl), got ${formatShape(bank.shape)}`, 'bank');
  return [bank.shape[0]!, bank.shape[1]!];
}

/** Throws unless 1 ≤ k ≤ nv. */
export function checkK(k: number, nv: number, kernel: string): void {
  if (!Number.isInteger(k) || k < 1 || k > nv) {
    throw new ShapeError(`${kernel}: k must be an integer with 1 ≤ k ≤ num_vectors (${nv}), got ${k}`, 'k');
  }
}

/** Checks A (r, in) and B (out, r) float32 and returns [r, in, out]. */
export function lowRankDims(A: HostTensor, B: HostTensor, kernel: string): [number, number, number] {
  requireF32(A, 'A', kernel);
  requireF32(B, 'B', kernel);
  if (A.shape.length !== 2 || B.shape.length !== 2 || B.shape[1] !== A.shape[0]) {
    throw new ShapeError(`${kernel}: A (r, in) and B (out, r) do not fit: A ${formatShape(A.shape)}, B ${formatShape(B.shape)}`, 'B');
  }
  return [A.shape[0]!, A.shape[1]!, B.shape[0]!];
}
