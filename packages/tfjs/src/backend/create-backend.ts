/**
 * `createBackend(options)` of `@vblora/tfjs` (the factory every backend package exports; see core's
 * `BackendFactory`): the kernels on the tf.js backend named by `tfBackend`.
 * @module
 */
import { checkBackendOptions, type Backend, type BackendOptions } from '@vblora/core';
import { createTfjsBackend } from './tfjs-backend.js';

/** tf.js backends that need a package of their own, imported here when asked for (optional peers). */
const PLUGINS: Readonly<Record<string, () => Promise<unknown>>> = {
  wasm: () => import('@tensorflow/tfjs-backend-wasm'),
};

/**
 * A backend on tf.js: `tfBackend=cpu` (default), `wasm` (imports `@tensorflow/tfjs-backend-wasm`; in a page, set its
 * wasm paths first), or any backend tf.js has registered (`webgl`, `webgpu`, …). Whether it initialises is known
 * when `isAvailable()` or a kernel runs.
 * @example
 * ```ts
 * const backend = await createBackend({ tfBackend: 'wasm' }); // or: vblora conformance @vblora/tfjs --option tfBackend=wasm
 * ```
 * @throws {ConfigError} for an option other than `tfBackend`.
 */
export async function createBackend(options: BackendOptions = {}): Promise<Backend> {
  checkBackendOptions('@vblora/tfjs', options, { tfBackend: null });
  const tfBackend = options['tfBackend'] ?? 'cpu';
  if (Object.hasOwn(PLUGINS, tfBackend)) await PLUGINS[tfBackend]!();
  return createTfjsBackend({ tfBackend });
}
