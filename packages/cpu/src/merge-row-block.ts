import { f16BitsToF32, f32ToF16Bits, nonFiniteMergeError, type WeightDType } from '@vblora/core';

/** One slice of a merge: rows `[r0, r1)` of a weight held in (shared) memory, written into an output buffer. */
export interface RowBlockJob {
  readonly dtype: WeightDType;
  /** Weight shape: (out, in), or (in, out) with fanInFanOut. */
  readonly shape: readonly [number, number];
  readonly input: SharedArrayBuffer | ArrayBuffer;
  readonly output: SharedArrayBuffer | ArrayBuffer;
  /** Byte offsets of the weight in `input` and `output` (default 0). */
  readonly inputOffset?: number;
  readonly outputOffset?: number;
  /** (r, in) float32. */
  readonly A: Float32Array;
  /** (out, r) float32. */
  readonly B: Float32Array;
  readonly r: number;
  readonly fanInFanOut: boolean;
  /** −1: W − ΔW (unmerge); default 1. */
  readonly sign?: 1 | -1;
  readonly safe: boolean;
  readonly adapter: string;
  readonly module: string;
  readonly r0: number;
  readonly r1: number;
}

/**
 * Row `row` of the delta into `d`, rounded exactly like the reference `deltaElement`: each product rounded to
 * float32, summed over the rank in order from 0. Row `row` of W is row `o` of B·A (coefficients B[o, :], vectors
 * the rows of A) or, with fan_in_fan_out, column `i` of it (coefficients A[:, i], vectors the rows of Bᵀ).
 */
function deltaRow(coef: Float32Array, vectors: Float32Array, r: number, d: Float32Array): void {
  const n = d.length;
  if (r === 4) {
    // the paper's (and the benchmark's) rank, unrolled: one pass instead of four
    const [c0, c1, c2, c3] = [coef[0]!, coef[1]!, coef[2]!, coef[3]!];
    for (let i = 0; i < n; i++) {
      let acc = 0 + Math.fround(c0 * vectors[i]!); // from +0 like the reference: a −0 product becomes +0
      acc = Math.fround(acc + Math.fround(c1 * vectors[n + i]!));
      acc = Math.fround(acc + Math.fround(c2 * vectors[2 * n + i]!));
      d[i] = acc + Math.fround(c3 * vectors[3 * n + i]!);
    }
    return;
  }
  for (let i = 0; i < n; i++) d[i] = 0 + Math.fround(coef[0]! * vectors[i]!);
  for (let q = 1; q < r; q++) {
    const c = coef[q]!;
    for (let i = 0; i < n; i++) d[i] = d[i]! + Math.fround(c * vectors[q * n + i]!);
  }
}

/**
 * Merges rows `[r0, r1)` in one fused pass per row: W ← round_dtype(f32(W) + ΔW), the delta computed one row at a
 * time (never the whole matrix), in plain JavaScript: the CPU path for float16 weights (the WebAssembly kernels
 * take float32 and bfloat16). Bit-identical to the reference `merge` kernel (checked by the conformance
 * suite's merge cases), without its per-element calls and whole-tensor temporaries, so it runs near memory speed
 * on worker threads.
 */
export function mergeRowBlock(job: RowBlockJob): void {
  const [rows, cols] = job.shape;
  const { r } = job;
  const vectors = job.fanInFanOut ? transposeB(job.B, cols, r) : job.A;
  const coef = new Float32Array(r);
  const d = new Float32Array(cols);
  const wide = new Float32Array(cols);
  const wideBits = new Uint32Array(wide.buffer);
  for (let row = job.r0; row < job.r1; row++) {
    for (let q = 0; q < r; q++) coef[q] = job.fanInFanOut ? job.A[q * rows + row]! : job.B[row * r + q]!;
    deltaRow(coef, vectors, r, d);
    if (job.sign === -1) for (let i = 0; i < cols; i++) d[i] = -d[i]!; // exact: W + (−1)·ΔW as the reference
    const off = row * cols;
    const inAt = job.inputOffset ?? 0;
    const outAt = job.outputOffset ?? 0;
    if (job.dtype === 'f32') {
      const w = new Float32Array(job.input as ArrayBuffer, inAt + off * 4, cols);
      const out = new Float32Array(job.output as ArrayBuffer, outAt + off * 4, cols);
      for (let i = 0; i < cols; i++) out[i] = w[i]! + d[i]!;
      if (job.safe) checkFinite(out, job, off);
    } else if (job.dtype === 'bf16') {
      const w = new Uint16Array(job.input as ArrayBuffer, inAt + off * 2, cols);
      const out = new Uint16Array(job.output as ArrayBuffer, outAt + off * 2, cols);
      for (let i = 0; i < cols; i++) wideBits[i] = w[i]! << 16;
      for (let i = 0; i < cols; i++) wide[i] = wide[i]! + d[i]!;
      for (let i = 0; i < cols; i++) {
        const b = wideBits[i]!;
        // round to nearest even; NaN stays a quiet NaN
        out[i] =
          (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0
            ? ((b >>> 16) | 0x40) & 0xffff
            : ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
      }
      if (job.safe) checkHalf(out, job, off, (h) => (h & 0x7f80) !== 0x7f80);
    } else {
      const w = new Uint16Array(job.input as ArrayBuffer, inAt + off * 2, cols);
      const out = new Uint16Array(job.output as ArrayBuffer, outAt + off * 2, cols);
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
  throw nonFiniteMergeError(job.adapter, job.module, flat);
}

function checkFinite(out: Float32Array, job: RowBlockJob, offset: number): void {
  for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i]!)) fail(job, offset + i);
}

function checkHalf(out: Uint16Array, job: RowBlockJob, offset: number, finite: (h: number) => boolean): void {
  for (let i = 0; i < out.length; i++) if (!finite(out[i]!)) fail(job, offset + i);
}
