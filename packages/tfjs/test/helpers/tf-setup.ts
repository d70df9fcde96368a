/**
 * Test setup for TensorFlow.js in Node: registers the wasm backend (its .wasm files load from node_modules, no
 * network) and silences tf's one-time "install tfjs-node" notice so test output stays quiet.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

// an explicit file path: the .wasm binaries come from node_modules, never from a CDN
setWasmPaths(
  `${join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`,
);

// PROD only mutes tf's console notices; IS_TEST would also turn on per-kernel leak checks that misfire on wasm's fused ops
tf.enableProdMode();

/** The tf.js backends every test runs on in Node. */
export const TF_BACKENDS = ['cpu', 'wasm'] as const;

/** One of {@link TF_BACKENDS}. */
export type TfBackendName = (typeof TF_BACKENDS)[number];

/** Switches tf.js to `name` and fails loudly if it cannot. */
export async function useTfBackend(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tf.js backend ${name} did not initialise`);
  await tf.ready();
}

/** Runs `fn` and asserts it left no tf tensor behind. */
export async function expectNoLeak<T>(fn: () => Promise<T> | T): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`leaked ${after - before} tf tensors (before ${before}, after ${after})`);
  return out;
}
