/**
 * `createBackend(options)` of `@vblora/core`: the reference backend (plain loops, the definition). The
 * WebAssembly cpu backend is `@vblora/cpu`'s.
 * @module
 */
import { checkBackendOptions, type BackendOptions } from './backend/backend-factory.js';
import type { Backend } from './backend/define-backend.js';
import { referenceBackend } from './backend/reference-backend.js';

/**
 * The backend of this package: `backend=reference` (the default and only value; the cpu backend is
 * `createBackend()` of `@vblora/cpu`).
 * @example
 * ```ts
 * const reference = createBackend(); // or: vblora conformance @vblora/core
 * ```
 * @throws {ConfigError} for another key or value.
 */
export function createBackend(options: BackendOptions = {}): Backend {
  checkBackendOptions('@vblora/core', options, { backend: ['reference'] });
  return referenceBackend;
}
