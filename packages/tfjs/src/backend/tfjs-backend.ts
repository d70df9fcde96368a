/**
 * `createTfjsBackend`: every VB-LoRA kernel on TensorFlow.js tensors, as a backend value for `resolveBackend`,
 * the conformance kit and core's adapter helpers (`composeAdapter`, `mergeIntoStateDict`).
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError, defineBackend, type Backend, type KernelSet } from '@vblora/core';
import * as admixture from './kernels-admixture.js';
import * as backward from './kernels-backward.js';
import * as checkpoint from './kernels-checkpoint.js';
import * as compose from './kernels-compose.js';
import * as forward from './kernels-forward.js';
import * as mergeKernels from './kernels-merge.js';

/** Options of {@link createTfjsBackend}. */
export interface TfjsBackendOptions {
  /** The tf.js backend to compute on: `'cpu'`, `'wasm'` (import `@tensorflow/tfjs-backend-wasm` first), `'webgl'`, … */
  readonly tfBackend: string;
  /** Name shown in reports and errors (default `tfjs-<tfBackend>`). */
  readonly name?: string;
}

/** Switches tf.js to `name` unless it is already active; the kernels of a backend always run where it says. */
async function activate(name: string): Promise<void> {
  if (tf.getBackend() === name) return;
  if (!(await tf.setBackend(name))) {
    throw new BackendUnavailableError(`tf.js backend "${name}" failed to initialise`, [
      { backend: `tfjs-${name}`, reason: 'tf.setBackend returned false' },
    ]);
  }
  await tf.ready();
}

/** Wraps every kernel so it first makes sure its tf.js backend is the active one. */
function onBackend(name: string, kernels: Partial<KernelSet>): Partial<KernelSet> {
  const out: Record<string, unknown> = {};
  for (const [key, fn] of Object.entries(kernels)) {
    out[key] = async (args: unknown) => {
      await activate(name);
      return (fn as (a: unknown) => unknown)(args);
    };
  }
  return out as Partial<KernelSet>;
}

/** Every kernel: each `kernels-*.ts` module exports only kernels, named as in core's `KernelSet`. */
const KERNELS = {
  ...admixture,
  ...backward,
  ...checkpoint,
  ...compose,
  ...forward,
  ...mergeKernels,
} satisfies KernelSet;

/**
 * A float32 backend implementing every core kernel with TensorFlow.js ops on the given tf.js backend. It is
 * available when that tf.js backend is registered; `init` switches tf.js to it, and each kernel switches back if
 * something else changed the global backend in between.
 * @example
 * ```ts
 * import '@tensorflow/tfjs-backend-wasm';
 * const backend = await resolveBackend([createTfjsBackend({ tfBackend: 'wasm' }), createTfjsBackend({ tfBackend: 'cpu' })]);
 * const pairs = await composeAdapter(adapter, { backend });
 * ```
 */
export function createTfjsBackend(options: TfjsBackendOptions): Backend {
  const { tfBackend } = options;
  return defineBackend({
    name: options.name ?? `tfjs-${tfBackend}`,
    precision: 'f32',
    isAvailable: () => tf.findBackendFactory(tfBackend) != null,
    init: () => activate(tfBackend),
    kernels: onBackend(tfBackend, KERNELS),
  });
}
