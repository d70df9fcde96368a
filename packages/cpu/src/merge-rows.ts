/**
 * Runs the WebAssembly merge over rows of a weight that already lies in an instance's memory: the shared step of
 * the CPU backend's `merge`/`unmerge` kernels and of the worker threads of `mergeCheckpoint`.
 * @module
 */
import type { WeightDType } from '@vblora/core';
import type { CpuInstance } from './cpu-instance.js';

/** Pointers and sizes of one row-block merge in an instance memory. */
export interface WasmRowJob {
  readonly dtype: 'f32' | 'bf16';
  /** Byte pointers of the first row of the source and destination weight (may be equal: in place). */
  readonly src: number;
  readonly dst: number;
  /** Byte pointer of `vec` (r, cols) float32 and of the first row's `coef` (rows, r) float32. */
  readonly vec: number;
  readonly coef: number;
  readonly rows: number;
  readonly cols: number;
  readonly r: number;
  /** True: W − ΔW. */
  readonly unmerge: boolean;
}

/** Merges the rows; true when some merged value is ±inf or NaN (after rounding to the weight dtype). */
export function mergeRowsWasm(inst: CpuInstance, job: WasmRowJob): boolean {
  const run = job.dtype === 'f32' ? inst.exports.merge_f32 : inst.exports.merge_bf16;
  return run(job.src, job.dst, job.vec, job.coef, job.rows, job.cols, job.r, job.unmerge ? 1 : 0) !== 0;
}

/** Flat index of the first ±inf or NaN of a merged weight (float32 values, or bf16/f16 bits), or −1. */
export function firstNonFinite(data: Float32Array | Uint16Array, dtype: WeightDType): number {
  if (dtype === 'f32') return (data as Float32Array).findIndex((v) => !Number.isFinite(v));
  const exp = dtype === 'bf16' ? 0x7f80 : 0x7c00;
  return (data as Uint16Array).findIndex((h) => (h & exp) === exp);
}
