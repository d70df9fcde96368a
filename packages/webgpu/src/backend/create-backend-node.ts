/**
 * `createBackend(options)` of `@vblora/webgpu` in Node: WebGPU through Dawn (the optional peer `webgpu`), loaded
 * when the factory is called — importing the package does not need Dawn.
 * @module
 */
import { checkBackendOptions, type Backend, type BackendOptions } from '@vblora/core';

/**
 * A WebGPU backend on Dawn (SwiftShader when no Vulkan driver is configured); `isAvailable()` says whether it has an
 * adapter. Takes no options.
 * @example
 * ```ts
 * const backend = await createBackend(); // or: npx @vblora/cli conformance @vblora/webgpu
 * ```
 * @throws {ConfigError} for any option.
 */
export async function createBackend(options: BackendOptions = {}): Promise<Backend> {
  checkBackendOptions('@vblora/webgpu', options, {});
  const { createNodeWebGpuBackend } = await import('../node.js');
  return createNodeWebGpuBackend();
}
