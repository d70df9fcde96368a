import { NumericalError } from '../errors.js';
import type { WeightDType } from '../kernels/index.js';
import { f16BitsToF32, f32ToF16Bits } from '../tensor/index.js';

/** One slice of a merge: rows `[r0, r1)` of a weight held in (shared) memory, written into an output buffer. */
export interface RowBlockJob {
  readonly dtype: WeightDType;
  /** Weight shape: (out, in), or (in, out) with fanInFanOut. */
  readonly shape: readonly [number, number];
  readonly input: SharedArrayBuffer | ArrayBuffer;
  readonly output: SharedArrayBuffer | ArrayBuffer;
  /** (r, in) float32. */
  readonly A: Float32Array;
  /** (out, r) float32. */
  readonly B: Float32Array;
  readonly r: number;
  readonly fanInFanOut: boolean;
  readonly safe: boolean;
  readonly adapter: string;
  readonly module: string;
  readonly r0: number;
  readonly r1: number;
}

/**
 * The delta of one weight row into `d` (length = row length), rounded exactly like the reference `deltaElement`:
 * each product rounded to float32, summed over the rank in order from 0 (a Float32Array store rounds the sum).
 * Row `row` of W is row `o` of B·A, or with fan_in_fan_out column `i` of it (`bt` is Bᵀ, (r, out)).
 */
function deltaRow(job: RowBlockJob, bt: Float32Array | undefined, row: number, d: Float32Array): void {
  const { r, A, B } = job;
  const n = d.length;
  for (let q = 0; q < r; q++) {
    // coefficient × vector: (B[o, q], A[q, :]) or, transposed, (A[q, i], Bᵀ[q, :])
    const c = bt === undefined ? B[row * r + q]! : A[q * job.shape[0] + row]!;
    const v = bt === undefined ? A.subarray(q * n, (q + 1) * n) : bt.subarray(q * n, (q + 1) * n);
    if (q === 0) for (let i = 0; i < n; i++) d[i] = Math.fround(c * v[i]!);
    else for (let i = 0; i < n; i++) d[i] = d[i]! + Math.fround(c * v[i]!);
  }
}

/**
 * Merges rows `[r0, r1)` in one fused pass per row: W ← round_dtype(f32(W) + ΔW), the delta computed one row at a
 * time (never the whole matrix). Bit-identical to the reference `merge` kernel (tested), just without its
 * per-element calls and whole-tensor temporaries, so it runs near memory speed on worker threads.
 */
export function mergeRowBlock(job: RowBlockJob): void {
  const [, cols] = job.shape;
  const bt = job.fanInFanOut ? transposeB(job.B, cols, job.r) : undefined;
  const d = new Float32Array(cols);
  const wide = new Float32Array(cols);
  const wideBits = new Uint32Array(wide.buffer);
  for (let row = job.r0; row < job.r1; row++) {
    deltaRow(job, bt, row, d);
    const off = row * cols;
    if (job.dtype === 'f32') {
      const w = new Float32Array(job.input as ArrayBuffer, off * 4, cols);
      const out = new Float32Array(job.output as ArrayBuffer, off * 4, cols);
      for (let i = 0; i < cols; i++) out[i] = w[i]! + d[i]!;
      if (job.safe) checkFinite(out, job, off);
    } else if (job.dtype === 'bf16') {
      const w = new Uint16Array(job.input as ArrayBuffer, off * 2, cols);
      const out = new Uint16Array(job.output as ArrayBuffer, off * 2, cols);
      for (let i = 0; i < cols; i++) wideBits[i] = w[i]! << 16;
      for (let i = 0; i < cols; i++) wide[i] = wide[i]! + d[i]!;
      for (let i = 0; i < cols; i++) {
        const b = wideBits[i]!;
        // round to nearest even; NaN stays a quiet NaN
        out[i] = (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0 ? ((b >>> 16) | 0x40) & 0xffff : ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
      }
      if (job.safe) checkHalf(out, job, off, (h) => (h & 0x7f80) !== 0x7f80);
    } else {
      const w = new Uint16Array(job.input as ArrayBuffer, off * 2, cols);
      const out = new Uint16Array(job.output as ArrayBuffer, off * 2, cols);
      for (let i = 0; i < cols; i++) out[i] = f32ToF16Bits(Math.fround(f16BitsToF32(w[i]!) + d[i]!));
      if (job.safe) checkHalf(out, job, off, (h) => (h & 0x7c00) !== 0x7c00);
    }
  }
}

function transposeB(B: Float32Array, out: number, r: number): Float32Array {
  const bt = new Float32Array(r * out);
  for (let o = 0; o < out; o++) for (let q = 0; q < r; q++) bt[q * out + o] = B[o * r + q]!;
  return bt;
}

function fail(job: RowBlockJob, flat: number): never {
  throw new NumericalError(
    `NaNs detected in the merged weights. The adapter ${job.adapter} seems to be broken (module ${job.module}, first non-finite element at flat index ${flat})`,
    job.module,
  );
}

function checkFinite(out: Float32Array, job: RowBlockJob, offset: number): void {
  for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i]!)) fail(job, offset + i);
}

function checkHalf(out: Uint16Array, job: RowBlockJob, offset: number, finite: (h: number) => boolean): void {
  for (let i = 0; i < out.length; i++) if (!finite(out[i]!)) fail(job, offset + i);
}
