/**
 * The parallel merge capability of the cpu backend in Node: the merge pool's worker threads.
 * @module
 */
import type { ParallelMerge } from '@vblora/core';
import { createMergePool, MAX_POOL_REGION_BYTES } from './merge-pool.js';

/**
 * The merge pool as a backend capability (`mergeCheckpoint` merges each weight in place on every core). Its merge
 * gives the bits of the reference `merge` kernel, which the cpu backend's equals; the cpu backends of this
 * package's Node entry carry it, and a backend whose `merge` is the reference's may carry it too.
 * @example
 * ```ts
 * import { defineBackend, referenceBackend } from '@vblora/core';
 * import { cpuParallelMerge } from '@vblora/cpu/node';
 * const reference = defineBackend({ ...referenceBackend, capabilities: { parallelMerge: cpuParallelMerge } });
 * ```
 */
export const cpuParallelMerge: ParallelMerge = Object.freeze({
  maxRegionBytes: MAX_POOL_REGION_BYTES,
  open: (threads?: number) => createMergePool(threads),
});
