import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/**
 * Makes TensorFlow.js usable in Node without network and quiet: the wasm binaries load from node_modules, and
 * tf's one-time console notices (install tfjs-node, …) are muted.
 */
export function prepareTfNode(): void {
  setWasmPaths(
    `${join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`,
  );
  tf.enableProdMode();
}

/** {@link prepareTfNode}, then switches to `backend` ('wasm' or 'cpu'). */
export async function useTf(backend: string): Promise<typeof tf> {
  prepareTfNode();
  if (!(await tf.setBackend(backend))) throw new Error(`TensorFlow.js backend "${backend}" did not initialise`);
  await tf.ready();
  return tf;
}
