/**
 * The CPU backend: top-k admixture, PEFT's k = 2 top-k reload, compose, merge, unmerge, the base linear and the
 * unmerged adapter forward (one adapter or one per row) in WebAssembly SIMD, bit-identical to the reference kernels and several times faster. Runs wherever WebAssembly SIMD does (Node,
 * every current browser); synchronous after its module is compiled.
 * @module
 */
import { type Backend, type BackendCapabilities, defineBackend, type KernelSet } from '@vblora/core';
import { compileCpuModule, CpuInstance } from './cpu-instance.js';
import { cpuKernelsSupported } from './kernels-supported.js';
import { cpuAdmixFromTopk, cpuComposeLowRank, cpuTopkAdmixture } from './cpu-compose.js';
import { cpuAdapterForward, cpuMixedBatchForward } from './cpu-forward.js';
import { cpuLinear } from './cpu-linear.js';
import { cpuMerge } from './cpu-merge.js';
import { CPU_COMPOSE_ALL } from './compose-all.js';
import { CPU_PAIRS_STORAGE } from './pairs-storage.js';
import { cpuTopkReload } from './topk-reload.js';

/**
 * A cpu backend with `capabilities` beside its pairs storage (the Node entry adds the parallel merge). @internal
 */
export function makeCpuBackend(capabilities: BackendCapabilities = {}): Backend {
  let inst: CpuInstance | undefined;
  const instance = (): CpuInstance => (inst ??= new CpuInstance());
  return defineBackend({
    name: 'cpu',
    precision: 'f32',
    isAvailable: cpuKernelsSupported,
    init: compileCpuModule,
    kernels: {
      topkAdmixture: (args) => cpuTopkAdmixture(instance(), args),
      admixFromTopk: (args) => cpuAdmixFromTopk(instance(), args),
      composeLowRank: (args) => cpuComposeLowRank(instance(), args),
      merge: (args) => cpuMerge(instance(), args, 1, 'merge'),
      unmerge: (args) => cpuMerge(instance(), args, -1, 'unmerge'),
      linear: (args) => cpuLinear(instance(), args),
      adapterForward: (args) => cpuAdapterForward(instance(), args),
      mixedBatchForward: (args) => cpuMixedBatchForward(instance(), args),
      topkReload: cpuTopkReload,
    } satisfies Partial<KernelSet>,
    capabilities: {
      pairsStorage: CPU_PAIRS_STORAGE,
      composeAll: CPU_COMPOSE_ALL,
      ...capabilities,
    },
  });
}

/**
 * Creates a CPU backend with its own WebAssembly memory (it grows to the largest call's working set and is kept
 * for reuse; create one per long-lived task and drop it to free the memory). Its capabilities: pairs storage
 * (`allocatePairs(adapter, { backend })` composes in place, every module in one call) and, where Node
 * loads this package, the parallel checkpoint merge (worker threads, see `@vblora/cpu/node`).
 * @example
 * ```ts
 * import { composeAdapter } from '@vblora/core';
 * import { createCpuBackend } from '@vblora/cpu';
 * const pairs = await composeAdapter(adapter, { backend: createCpuBackend() });
 * ```
 */
export function createCpuBackend(): Backend {
  return makeCpuBackend();
}

/** A shared CPU backend (WebAssembly SIMD kernels); see {@link createCpuBackend}. */
export const cpuBackend: Backend = createCpuBackend();
