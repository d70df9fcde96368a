/**
 * `@vblora/core`: PEFT-exact VB-LoRA for JavaScript — adapter_config.json, safetensors checkpoints, module
 * targeting, reference kernels and the backend contract. Browser-safe; file-system helpers live in
 * `@vblora/core/node`.
 *
 * @example
 * ```ts
 * import { readAdapterDir } from '@vblora/core/node';
 * import { composeAdapter, referenceBackend } from '@vblora/core';
 * const adapter = await readAdapterDir('./my-adapter');
 * ```
 * @packageDocumentation
 */
export * from './errors.js';
export * from './tensor/index.js';
export * from './numerics/index.js';
export * from './config/index.js';
export * from './checkpoint/index.js';
export * from './targeting/index.js';
export * from './kernels/index.js';
export * from './backend/index.js';
export * from './accounting/index.js';
export * from './adapter/index.js';
export * from './convert/index.js';
export { VERSION } from './version.js';
export { createBackend } from './create-backend.js';
export { referenceBackend as default } from './backend/index.js';
