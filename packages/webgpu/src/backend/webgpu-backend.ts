/**
 * `createWebGpuBackend`: the WebGPU kernels behind `@vblora/core`'s backend contract (host tensors in, host
 * tensors out), for `resolveBackend`, the conformance kit and the CLI.
 * @module
 */
import { defineBackend, type Backend } from '@vblora/core';
import { defaultGpu } from '../runtime/acquire-device.js';
import type { WebGpuRuntimeOptions } from '../runtime/gpu-context.js';
import { createWebGpuRuntime, type WebGpuRuntime } from '../webgpu-runtime.js';
import { hostKernels, scoped } from './host-kernels.js';

/** Options of {@link createWebGpuBackend}: the runtime's, plus the name shown in reports. */
export interface WebGpuBackendOptions extends WebGpuRuntimeOptions {
  /** Backend name (default `"webgpu"`). */
  readonly name?: string;
}

const RUNTIMES = new WeakMap<Backend, () => Promise<WebGpuRuntime>>();

/**
 * A backend running every kernel of the contract except the two host-side top-k checkpoint helpers
 * (`logitsFromTopk`, `topkWeightsForSave`), in float32. The device is opened by `init()` (or the first kernel
 * call); if it is lost, the next call opens a new one.
 * @example
 * ```ts
 * import { resolveBackend, referenceBackend } from '@vblora/core';
 * const backend = await resolveBackend([createWebGpuBackend(), referenceBackend]);
 * ```
 */
export function createWebGpuBackend(options: WebGpuBackendOptions = {}): Backend {
  let current: WebGpuRuntime | undefined;
  let opening: Promise<WebGpuRuntime> | undefined;
  const runtime = (): Promise<WebGpuRuntime> => {
    if (current !== undefined && !current.isLost) return Promise.resolve(current);
    opening ??= createWebGpuRuntime(options).then(
      (rt) => {
        current = rt;
        opening = undefined;
        return rt;
      },
      (e: unknown) => {
        opening = undefined;
        throw e;
      },
    );
    return opening;
  };
  const backend = defineBackend({
    name: options.name ?? 'webgpu',
    precision: 'f32',
    isAvailable: async () => {
      if (options.device !== undefined) return true;
      const gpu = options.gpu ?? defaultGpu();
      if (gpu === undefined) return false;
      try {
        return (await gpu.requestAdapter()) !== null;
      } catch {
        return false;
      }
    },
    init: async () => {
      await runtime();
    },
    kernels: hostKernels(scoped(runtime)),
  });
  RUNTIMES.set(backend, runtime);
  return backend;
}

/**
 * The runtime a WebGPU backend currently runs on (opening it if needed): to keep tensors on its device between
 * kernel calls, read its stats, or dispose it.
 * @throws {TypeError} when `backend` was not made by {@link createWebGpuBackend}.
 */
export function backendRuntime(backend: Backend): Promise<WebGpuRuntime> {
  const get = RUNTIMES.get(backend);
  if (get === undefined) throw new TypeError(`backend "${backend.name}" was not made by createWebGpuBackend`);
  return get();
}
