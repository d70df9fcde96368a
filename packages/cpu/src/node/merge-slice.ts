/**
 * One worker's share of a pool merge: rows of a weight in the shared memory, merged in place by the WebAssembly
 * kernels (float32, bfloat16) or the plain-JS row-block loop (float16). Runs in the worker threads and, without
 * them, in the calling thread.
 * @module
 */
import { DTYPE_BYTES, UnsupportedError, type WeightDType } from '@vblora/core';
import type { CpuInstance } from '../cpu-instance.js';
import { mergeRowBlock } from '../merge-row-block.js';
import { firstNonFinite, mergeRowsWasm, type WasmRowJob } from '../merge-rows.js';

/** Byte pointers into the shared memory for rows [0, rows) of a slice: a row job of any weight dtype. */
export type SliceJob = Omit<WasmRowJob, 'dtype'> & { readonly dtype: WeightDType };

/** Merges the slice; true when a merged value is ±inf or NaN. */
export function runSlice(inst: CpuInstance, memory: WebAssembly.Memory, job: SliceJob): boolean {
  if (job.dtype === 'f32' || job.dtype === 'bf16') return mergeRowsWasm(inst, { ...job, dtype: job.dtype });
  // a job message is untyped at run time: never let another dtype reach a kernel as if it were one of these
  if (job.dtype !== 'f16')
    throw new UnsupportedError(`the merge kernels take f32, bf16 or f16 rows, not ${String(job.dtype)}`);
  // float16: the plain-JS loop, with the rows' coefficients as B (out, r) and vec as A (r, cols)
  const buffer = memory.buffer;
  const coef = new Float32Array(buffer, job.coef, job.rows * job.r);
  const vec = new Float32Array(buffer, job.vec, job.r * job.cols);
  mergeRowBlock({
    dtype: 'f16',
    shape: [job.rows, job.cols],
    input: buffer as ArrayBuffer,
    output: buffer as ArrayBuffer,
    inputOffset: job.src,
    outputOffset: job.dst,
    A: vec,
    B: coef,
    r: job.r,
    fanInFanOut: false,
    sign: job.unmerge ? -1 : 1,
    safe: false,
    adapter: '',
    module: '',
    r0: 0,
    r1: job.rows,
  });
  return firstNonFinite(new Uint16Array(buffer, job.dst, job.rows * job.cols), 'f16') >= 0;
}

/**
 * A pool merge shared out by rows: every worker takes the next `chunk` rows of `job` from a counter in the shared
 * memory (an int32 at byte `counter`, from 0) until none are left, so a worker slowed down (another process on
 * its core) does fewer rows instead of holding up the others.
 */
export interface SharedSliceJob {
  readonly job: SliceJob;
  readonly counter: number;
  readonly chunk: number;
}

/** This thread's share of a {@link SharedSliceJob}; true when a merged value is ±inf or NaN. */
export function runShared(inst: CpuInstance, memory: WebAssembly.Memory, shared: SharedSliceJob): boolean {
  const { job, chunk } = shared;
  const counter = new Int32Array(memory.buffer, shared.counter, 1);
  const rowBytes = job.cols * DTYPE_BYTES[job.dtype];
  let bad = false;
  for (let r0 = Atomics.add(counter, 0, chunk); r0 < job.rows; r0 = Atomics.add(counter, 0, chunk)) {
    const rows = Math.min(chunk, job.rows - r0);
    const part: SliceJob = {
      ...job,
      src: job.src + r0 * rowBytes,
      dst: job.dst + r0 * rowBytes,
      coef: job.coef + r0 * job.r * 4,
      rows,
    };
    bad = runSlice(inst, memory, part) || bad;
  }
  return bad;
}
