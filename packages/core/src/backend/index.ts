/**
 * Backend contract: define a backend as a plain value, resolve the first usable one from an ordered list.
 * @module
 */
export { defineBackend } from './define-backend.js';
export type { Backend, BackendSpec } from './define-backend.js';
export type {
  BackendCapabilities,
  ComposeAll,
  ComposeAllModule,
  MergePool,
  PairsLayer,
  PairsStorage,
  ParallelMerge,
  PoolMergeJob,
} from './capabilities.js';
export { resolveBackend, requireKernel } from './resolve-backend.js';
export { referenceBackend } from './reference-backend.js';
export { checkBackendOptions, type BackendFactory, type BackendOptions } from './backend-factory.js';
