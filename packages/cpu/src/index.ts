/**
 * `@vblora/cpu`: VB-LoRA's CPU backend — top-k admixture, compose, merge, unmerge, the base linear and the unmerged
 * adapter forward in WebAssembly SIMD, bit-identical to `@vblora/core`'s reference kernels and several times
 * faster. Runs wherever WebAssembly SIMD does (Node, every current browser). The parallel checkpoint merge (worker
 * threads) is in `@vblora/cpu/node`.
 *
 * @example
 * ```ts
 * import { composeAdapter } from '@vblora/core';
 * import { createCpuBackend } from '@vblora/cpu';
 * const pairs = await composeAdapter(adapter, { backend: createCpuBackend() });
 * ```
 * @packageDocumentation
 */
export { createCpuBackend, cpuBackend } from './cpu-backend.js';
export { cpuKernelsSupported } from './kernels-supported.js';
export { createBackend } from './create-backend.js';
