/**
 * `@vblora/tfjs`: VB-LoRA on TensorFlow.js — every kernel as a backend, model wrapping, and training with the
 * differentiable top-k admixture.
 *
 * @example
 * ```ts
 * import { createTfjsBackend } from '@vblora/tfjs';
 * import { composeAdapter, resolveBackend } from '@vblora/core';
 * const backend = await resolveBackend([createTfjsBackend({ tfBackend: 'cpu' })]);
 * const pairs = await composeAdapter(adapter, { backend });
 * ```
 * @packageDocumentation
 */
export { createTfjsBackend, type TfjsBackendOptions } from './backend/tfjs-backend.js';
