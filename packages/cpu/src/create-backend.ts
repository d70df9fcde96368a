/**
 * `createBackend(options)` of `@vblora/cpu`: the factory every backend package exports, so that tools
 * (`vblora conformance @vblora/cpu`) make its backend the same way as any other's.
 * @module
 */
import { checkBackendOptions, type Backend, type BackendOptions } from '@vblora/core';
import { createCpuBackend } from './cpu-backend.js';

/**
 * A new cpu backend (its own WebAssembly memory). It takes no options.
 * @example
 * ```ts
 * const cpu = createBackend(); // or: vblora conformance @vblora/cpu
 * ```
 * @throws {ConfigError} for any option.
 */
export function createBackend(options: BackendOptions = {}): Backend {
  checkBackendOptions('@vblora/cpu', options, {});
  return createCpuBackend();
}
