/**
 * The parallel CPU merge of `mergeCheckpoint`: worker threads running the WebAssembly merge kernels on row
 * slices of a weight held in one shared WebAssembly memory, in place, so the weight is read from disk straight
 * into the memory the kernels work on and never copied (float16 weights use the plain-JS row-block loop on the
 * same memory).
 * @module
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  DTYPE_BYTES,
  MERGE_WEIGHT_DTYPES,
  type MergePool,
  nonFiniteMergeError,
  ShapeError,
  UnsupportedError,
  type PoolMergeJob,
  VBLoRAError,
} from '@vblora/core';
import { align16, CpuInstance, cpuModule, MAX_PAGES } from '../cpu-instance.js';
import { firstNonFinite } from '../merge-rows.js';
import { rowFactors } from '../row-factors.js';
import { runSlice, type SharedSliceJob, type SliceJob } from './merge-slice.js';

interface WorkerReply {
  ok: boolean;
  bad?: boolean;
  name?: string;
  message?: string;
}

const MAX_BYTES = MAX_PAGES * 65536;

/** Row chunks per worker thread in a pool merge (see `runShared`). */
const CHUNKS_PER_THREAD = 16;

/** Largest weight, in bytes, a pool region can hold: the 4 GiB of a wasm32 memory less room for factors. */
export const MAX_POOL_REGION_BYTES = MAX_BYTES - 64 * 2 ** 20;

/**
 * Creates a pool with `threads` workers (default: every core). Worker threads need the compiled worker file;
 * when running from TypeScript sources (tests) the pool merges in this thread, with the same kernels.
 */
export function createMergePool(threads = availableParallelism()): MergePool {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
  const module = cpuModule(true);
  const local = new CpuInstance(memory, module);
  const workerUrl = new URL('./merge-worker.js', import.meta.url);
  const canFork = threads > 1 && workerUrl.protocol === 'file:' && existsSync(fileURLToPath(workerUrl));
  // execArgv: [] so flags of the parent (e.g. --input-type) never break the worker's start
  const workers = canFork
    ? Array.from({ length: threads }, () => new Worker(workerUrl, { execArgv: [], workerData: { memory, module } }))
    : [];
  let regionsEnd = 0;
  let queue: Promise<unknown> = Promise.resolve();
  const owned = new WeakSet<Uint8Array>();

  const call = (w: Worker, job: SharedSliceJob) =>
    new Promise<boolean>((resolve, reject) => {
      const onMessage = (reply: WorkerReply) => {
        w.off('error', onError);
        if (reply.ok) resolve(reply.bad === true);
        else reject(new VBLoRAError(reply.message ?? 'merge failed in a worker'));
      };
      const onError = (err: Error) => {
        w.off('message', onMessage);
        reject(err);
      };
      w.once('message', onMessage);
      w.once('error', onError);
      w.postMessage(job);
    });

  return {
    threads: Math.max(1, workers.length),
    maxRegionBytes: MAX_POOL_REGION_BYTES,
    regions(bytes, count = 1) {
      const size = align16(bytes);
      regionsEnd = size * count;
      local.ensure(regionsEnd);
      return Array.from({ length: count }, (_, i) => {
        const view = new Uint8Array(memory.buffer, i * size, bytes);
        owned.add(view);
        return view;
      });
    },
    run(job) {
      // one merge at a time: concurrent callers would share the factor region and the workers
      const next = queue.then(() => runOne(job));
      queue = next.catch(() => undefined);
      return next;
    },
    async close() {
      await queue;
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };

  async function runOne(job: PoolMergeJob): Promise<void> {
    if (!owned.has(job.input) || !owned.has(job.output))
      throw new VBLoRAError('MergePool.run: input and output must be views from pool.regions()');
    checkJob(job);
    const [rowsW, colsW] = job.shape;
    const r = job.A.length / (job.fanInFanOut ? rowsW : colsW);
    const inF = job.fanInFanOut ? rowsW : colsW;
    const outF = job.fanInFanOut ? colsW : rowsW;
    const f = rowFactors(job.A, job.B, r, inF, outF, job.fanInFanOut);
    const [vec, coef] = [regionsEnd, regionsEnd + align16(f.vec.byteLength)];
    const counter = coef + align16(f.coef.byteLength);
    local.ensure(counter + 16);
    local.f32(vec, f.vec.length).set(f.vec);
    local.f32(coef, f.coef.length).set(f.coef);
    const whole: SliceJob = {
      dtype: job.dtype,
      src: job.input.byteOffset,
      dst: job.output.byteOffset,
      vec,
      coef,
      rows: f.rows,
      cols: f.cols,
      r,
      unmerge: job.sign === -1,
    };
    let bad: boolean;
    if (workers.length === 0) {
      bad = runSlice(local, memory, whole);
    } else {
      // rows are taken a chunk at a time (about CHUNKS_PER_THREAD per worker): a worker that loses its core for a
      // while does fewer rows, where equal halves would make the whole merge wait for it
      Atomics.store(new Int32Array(memory.buffer, counter, 1), 0, 0);
      const chunk = Math.max(1, Math.ceil(f.rows / (workers.length * CHUNKS_PER_THREAD)));
      const flags = await Promise.all(workers.map((w) => call(w, { job: whole, counter, chunk })));
      bad = flags.some((x) => x);
    }
    if (job.safe && bad) {
      const n = rowsW * colsW;
      const view =
        job.dtype === 'f32'
          ? new Float32Array(job.output.buffer, job.output.byteOffset, n)
          : new Uint16Array(job.output.buffer, job.output.byteOffset, n);
      throw nonFiniteMergeError(job.adapter, job.module, firstNonFinite(view, job.dtype));
    }
  }
}

/**
 * Refuses a job the kernels would run out of bounds on: a dtype they lack, regions smaller than the weight, or
 * factors whose sizes do not match it. The kernels trust their pointers, so this is the last line of defence.
 */
function checkJob(job: PoolMergeJob): void {
  if (!MERGE_WEIGHT_DTYPES.includes(job.dtype)) {
    throw new UnsupportedError(
      `${job.module}: the merge pool takes ${MERGE_WEIGHT_DTYPES.join(', ')} weights, not ${String(job.dtype)}`,
    );
  }
  const [rows, cols] = job.shape;
  const inF = job.fanInFanOut ? rows : cols;
  const outF = job.fanInFanOut ? cols : rows;
  const r = inF > 0 ? job.A.length / inF : 0;
  const bytes = rows * cols * DTYPE_BYTES[job.dtype];
  const sane =
    [rows, cols].every((d) => Number.isSafeInteger(d) && d >= 0) && Number.isInteger(r) && job.B.length >= outF * r;
  if (!sane || job.input.byteLength < bytes || job.output.byteLength < bytes) {
    throw new ShapeError(
      `${job.module}: a (${rows}, ${cols}) ${job.dtype} merge needs ${bytes}-byte regions and factors of matching sizes; ` +
        `got regions of ${job.input.byteLength} and ${job.output.byteLength} bytes, A of ${job.A.length} and B of ${job.B.length} values`,
      job.module,
    );
  }
}
