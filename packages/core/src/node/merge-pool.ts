import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { NumericalError, VBLoRAError } from '../errors.js';
import { mergeRowBlock, type RowBlockJob } from './merge-row-block.js';

/** Runs row blocks of merges, on worker threads when the built worker is available, else in this thread. */
export interface MergePool {
  /** Number of threads merging (1 = in-process). */
  readonly threads: number;
  /** Merges all rows of `job` (its r0/r1 are ignored) and resolves when the output is complete. */
  run(job: Omit<RowBlockJob, 'r0' | 'r1'>): Promise<void>;
  /** Stops the worker threads. */
  close(): Promise<void>;
}

interface WorkerReply {
  ok: boolean;
  name?: string;
  message?: string;
  where?: string;
}

function rebuildError(reply: WorkerReply): Error {
  if (reply.name === 'NumericalError') return new NumericalError(reply.message ?? 'non-finite merge result', reply.where);
  const e = new VBLoRAError(reply.message ?? 'merge failed in a worker');
  return e;
}

/**
 * Creates a pool with `threads` workers (default: every core). Worker threads need the compiled worker file;
 * when running from TypeScript sources (tests) the pool falls back to one in-process thread.
 */
export function createMergePool(threads = availableParallelism()): MergePool {
  const workerUrl = new URL('./merge-worker.js', import.meta.url);
  const canFork = threads > 1 && workerUrl.protocol === 'file:' && existsSync(fileURLToPath(workerUrl));
  if (!canFork) {
    return {
      threads: 1,
      run: async (job) => mergeRowBlock({ ...job, r0: 0, r1: job.shape[0] }),
      close: async () => undefined,
    };
  }
  // execArgv: [] so flags of the parent (e.g. --input-type) never break the worker's start
  const workers = Array.from({ length: threads }, () => new Worker(workerUrl, { execArgv: [] }));
  const call = (w: Worker, job: RowBlockJob) =>
    new Promise<void>((resolve, reject) => {
      const onMessage = (reply: WorkerReply) => {
        w.off('error', onError);
        if (reply.ok) resolve();
        else reject(rebuildError(reply));
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
    threads,
    async run(job) {
      const rows = job.shape[0];
      const per = Math.ceil(rows / workers.length);
      await Promise.all(
        workers.map((w, i) => {
          const r0 = Math.min(rows, i * per);
          const r1 = Math.min(rows, r0 + per);
          return r1 > r0 ? call(w, { ...job, r0, r1 }) : Promise.resolve();
        }),
      );
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
