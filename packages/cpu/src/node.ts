/**
 * Node-only part of `@vblora/cpu`: the merge pool — worker threads running the WebAssembly merge kernels on row
 * slices of a weight held in one shared memory — and the plain row-block merge loop it uses for float16.
 *
 * @example
 * ```ts
 * import { createMergePool } from '@vblora/cpu/node';
 * const pool = createMergePool();
 * const [region] = pool.regions(weightBytes);
 * ```
 * @packageDocumentation
 */
export { createMergePool, MAX_POOL_REGION_BYTES } from './node/merge-pool.js';
export { mergeRowBlock, type RowBlockJob } from './merge-row-block.js';
export { cpuParallelMerge } from './node/parallel-merge.js';
