/**
 * Test setup for TensorFlow.js in Node: `@vblora/tfjs/node`'s setup (the wasm backend registered with its .wasm
 * files from node_modules, no network; tf's one-time notices muted), so test output stays quiet.
 */
import * as tf from '@tensorflow/tfjs';
import { prepareTfjsNode, useTfjsBackend } from '../../src/node.js';

await prepareTfjsNode();

/** The tf.js backends every test runs on in Node. */
export const TF_BACKENDS = ['cpu', 'wasm'] as const;

/** One of {@link TF_BACKENDS}. */
export type TfBackendName = (typeof TF_BACKENDS)[number];

/** Switches tf.js to `name` and fails loudly if it cannot. */
export const useTfBackend: (name: string) => Promise<void> = useTfjsBackend;

/** Runs `fn` and asserts it left no tf tensor behind. */
export async function expectNoLeak<T>(fn: () => Promise<T> | T): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`leaked ${after - before} tf tensors (before ${before}, after ${after})`);
  return out;
}
