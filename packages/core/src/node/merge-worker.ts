/**
 * Worker thread of the parallel merge: runs {@link mergeRowBlock} on the slices it is sent and reports back.
 * Loaded from the built package only (worker threads cannot load TypeScript sources).
 * @module
 */
import { parentPort } from 'node:worker_threads';
import { mergeRowBlock, type RowBlockJob } from './merge-row-block.js';

parentPort?.on('message', (job: RowBlockJob) => {
  try {
    mergeRowBlock(job);
    parentPort?.postMessage({ ok: true });
  } catch (err) {
    const e = err as Error;
    parentPort?.postMessage({ ok: false, name: e.name, message: e.message, where: (e as { where?: string }).where });
  }
});
