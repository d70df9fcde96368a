/**
 * `createBackend(options)` of `@vblora/core`: the reference backend (plain loops, the definition) or the cpu
 * backend (WebAssembly SIMD, bit-identical to it).
 * @module
 */
import { checkBackendOptions, type BackendOptions } from './backend/backend-factory.js';
import type { Backend } from './backend/define-backend.js';
import { referenceBackend } from './backend/reference-backend.js';
import { createCpuBackend } from './cpu/cpu-backend.js';

/**
 * A backend of this package: `backend=reference` (default) or `backend=cpu`.
 * @example
 * ```ts
 * const cpu = createBackend({ backend: 'cpu' }); // or: vblora conformance @vblora/core --option backend=cpu
 * ```
 * @throws {ConfigError} for another key or value.
 */
export function createBackend(options: BackendOptions = {}): Backend {
  checkBackendOptions('@vblora/core', options, { backend: ['reference', 'cpu'] });
  return options['backend'] === 'cpu' ? createCpuBackend() : referenceBackend;
}
