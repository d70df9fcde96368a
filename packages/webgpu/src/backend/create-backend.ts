/**
 * `createBackend(options)` of `@vblora/webgpu` for pages and workers (see core's `BackendFactory`): the kernels on
 * `navigator.gpu`. Node gets the Dawn one (`create-backend-node.ts`) through the package's `node` condition.
 * @module
 */
import { checkBackendOptions, type Backend, type BackendOptions } from '@vblora/core';
import { createWebGpuBackend } from './webgpu-backend.js';

/**
 * A WebGPU backend on the platform's `navigator.gpu`; `isAvailable()` says whether it has an adapter. Takes no
 * options.
 * @throws {ConfigError} for any option.
 */
export async function createBackend(options: BackendOptions = {}): Promise<Backend> {
  checkBackendOptions('@vblora/webgpu', options, {});
  return createWebGpuBackend();
}
