import type { WeightDType } from '../kernels/index.js';
import { merge } from '../kernels/reference-kernels.js';
import { DTYPE_ARRAY, tensor, type HostTensor } from '../tensor/index.js';

/** One slice of a merge: rows `[r0, r1)` of a weight held in shared memory, written into a shared output. */
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
 * Merges rows `[r0, r1)` of the weight with the reference kernel: the rows of W are rows of B (out) or, with
 * fan_in_fan_out, columns of A (in); only that slice of the low-rank factor is passed, so the delta is never
 * materialised beyond one block.
 */
export function mergeRowBlock(job: RowBlockJob): void {
  const [rows, cols] = job.shape;
  const Ctor = DTYPE_ARRAY[job.dtype];
  const n = (job.r1 - job.r0) * cols;
  const weightData = new Ctor(job.input as ArrayBuffer, job.r0 * cols * Ctor.BYTES_PER_ELEMENT, n);
  const weight = tensor(job.dtype, [job.r1 - job.r0, cols], weightData as HostTensor['data'] as never) as HostTensor<WeightDType>;
  let A: HostTensor<'f32'>;
  let B: HostTensor<'f32'>;
  if (job.fanInFanOut) {
    // W is (in, out): rows are input features, i.e. columns of A (r, in)
    const inF = rows;
    const a = new Float32Array(job.r * (job.r1 - job.r0));
    for (let q = 0; q < job.r; q++) a.set(job.A.subarray(q * inF + job.r0, q * inF + job.r1), q * (job.r1 - job.r0));
    A = tensor('f32', [job.r, job.r1 - job.r0], a);
    B = tensor('f32', [cols, job.r], job.B);
  } else {
    A = tensor('f32', [job.r, cols], job.A);
    B = tensor('f32', [job.r1 - job.r0, job.r], job.B.subarray(job.r0 * job.r, job.r1 * job.r));
  }
  const merged = merge({ weight, A, B, fanInFanOut: job.fanInFanOut, safe: job.safe, adapter: job.adapter, module: job.module });
  new Ctor(job.output as ArrayBuffer, job.r0 * cols * Ctor.BYTES_PER_ELEMENT, n).set(merged.data as never);
}
