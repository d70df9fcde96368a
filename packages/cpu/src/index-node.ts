/**
 * `@vblora/cpu` as Node imports it (the package's `node` condition): everything of the main entry, with cpu
 * backends that also offer the parallel checkpoint merge (`mergeCheckpoint` merges on every core, in worker
 * threads).
 * @packageDocumentation
 */
import { checkBackendOptions, type Backend, type BackendOptions } from '@vblora/core';
import { makeCpuBackend } from './cpu-backend.js';
import { cpuParallelMerge } from './node/parallel-merge.js';

export * from './index.js';

/**
 * Creates a CPU backend (see the main entry's `createCpuBackend`) whose `mergeCheckpoint` runs on every core.
 * @example
 * ```ts
 * import { mergeCheckpoint } from '@vblora/core/node';
 * import { createCpuBackend } from '@vblora/cpu';
 * await mergeCheckpoint(adapter, './base', './merged', { backend: createCpuBackend() });
 * ```
 */
export function createCpuBackend(): Backend {
  return makeCpuBackend({ parallelMerge: cpuParallelMerge });
}

/** A shared CPU backend; see {@link createCpuBackend}. */
export const cpuBackend: Backend = createCpuBackend();

/**
 * A new cpu backend with the parallel merge (see the main entry's `createBackend`). It takes no options.
 * @throws {ConfigError} for any option.
 */
export function createBackend(options: BackendOptions = {}): Backend {
  checkBackendOptions('@vblora/cpu', options, {});
  return createCpuBackend();
}
