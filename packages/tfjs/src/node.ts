/**
 * `@vblora/tfjs/node`: TensorFlow.js set up for Node, the one place that does it (the `vblora` command, the bench
 * and the tests all call it). The wasm backend's binaries load from `node_modules` (never from a CDN) and tf's
 * one-time console notices ("install tfjs-node", …) are muted.
 * @example
 * ```ts
 * import { createTfjsBackend } from '@vblora/tfjs';
 * import { prepareTfjsNode } from '@vblora/tfjs/node';
 * await prepareTfjsNode();
 * const backend = createTfjsBackend({ tfBackend: 'wasm' });
 * ```
 * @module
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

/** The one set-up of this process, started by the first {@link prepareTfjsNode} call. */
let prepared: Promise<void> | undefined;

/**
 * Registers tf.js's wasm backend with its binaries loaded from the installed `@tensorflow/tfjs-backend-wasm`
 * (an optional peer dependency, imported here) and switches tf.js to production mode, which only mutes its
 * notices. Call it before the wasm backend first initialises; calling it again does nothing more.
 */
export function prepareTfjsNode(): Promise<void> {
  prepared ??= (async () => {
    const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
    const wasmPackage = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
    setWasmPaths(`${join(dirname(wasmPackage), 'dist')}/`);
    // production mode only mutes tf's console notices; test mode would also turn on per-kernel leak checks that
    // misfire on wasm's fused ops
    tf.enableProdMode();
  })();
  return prepared;
}

/**
 * {@link prepareTfjsNode}, then switches tf.js to `tfBackend` (`'wasm'`, `'cpu'`, …) and waits until it is ready.
 * @throws {Error} when tf.js cannot initialise that backend.
 */
export async function useTfjsBackend(tfBackend: string): Promise<void> {
  await prepareTfjsNode();
  if (!(await tf.setBackend(tfBackend))) throw new Error(`TensorFlow.js backend "${tfBackend}" did not initialise`);
  await tf.ready();
}
