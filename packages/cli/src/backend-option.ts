/**
 * The backends the `vblora` command and the bench (apps/bench) start by name: one table, in which a name means
 * the same backend everywhere. One documented flag keeps an older meaning, said here explicitly:
 * `vblora demo --backend wasm|cpu` names the TensorFlow.js backend the demo trains on (see
 * {@link DEMO_TRAINING_BACKENDS}), so `cpu` there is this table's `tfjs-cpu`, while `cpu` here (`compose`,
 * `merge`, the bench) is `@vblora/cpu`, the WebAssembly SIMD backend.
 * @module
 */
import { defineBackend, referenceBackend, type Backend } from '@vblora/core';
import { createCpuBackend } from '@vblora/cpu';
import { cpuParallelMerge } from '@vblora/cpu/node';
import { UsageError } from './errors.js';

/** One backend of {@link NAMED_BACKENDS}. */
export interface NamedBackend {
  /** What the name means, in a few words. */
  readonly summary: string;
  /** Whether `vblora compose` and `vblora merge` accept it as `--backend`. */
  readonly kernelOption: boolean;
  /** Loads the backend; its package is imported only now. */
  readonly load: () => Promise<Backend>;
}

/** A backend on TensorFlow.js, set up for Node (`@vblora/tfjs/node`). */
async function tfjsBackend(tfBackend: 'wasm' | 'cpu'): Promise<Backend> {
  const [{ createTfjsBackend }, { prepareTfjsNode }] = await Promise.all([
    import('@vblora/tfjs'),
    import('@vblora/tfjs/node'),
  ]);
  await prepareTfjsNode();
  return createTfjsBackend({ tfBackend, name: `tfjs-${tfBackend}` });
}

/** The names of {@link NAMED_BACKENDS}. */
export type BackendName = 'reference' | 'cpu' | 'tfjs-wasm' | 'tfjs-cpu' | 'onnx' | 'webgpu';

/** Every backend by name, each loaded only when asked for. */
export const NAMED_BACKENDS: Readonly<Record<BackendName, NamedBackend>> = {
  reference: {
    summary: "core's reference kernels (plain JavaScript)",
    kernelOption: true,
    // with the merge pool (the reference merge's bits, on every core) for `vblora merge --base`
    load: async () => defineBackend({ ...referenceBackend, capabilities: { parallelMerge: cpuParallelMerge } }),
  },
  cpu: {
    summary: '@vblora/cpu: WebAssembly SIMD, bit-identical to the reference',
    kernelOption: true,
    load: async () => createCpuBackend(),
  },
  'tfjs-wasm': {
    summary: "@vblora/tfjs on TensorFlow.js's wasm backend",
    kernelOption: false,
    load: () => tfjsBackend('wasm'),
  },
  'tfjs-cpu': {
    summary: "@vblora/tfjs on TensorFlow.js's cpu backend (plain JavaScript)",
    kernelOption: false,
    load: () => tfjsBackend('cpu'),
  },
  onnx: {
    summary: '@vblora/onnx on onnxruntime-node',
    kernelOption: true,
    load: async () => (await import('@vblora/onnx')).onnxBackend,
  },
  webgpu: {
    summary: '@vblora/webgpu on Dawn (the webgpu package)',
    kernelOption: true,
    load: async () => (await import('@vblora/webgpu/node')).createNodeWebGpuBackend(),
  },
};

/**
 * `vblora demo --backend` values (a documented flag, kept as it is): the TensorFlow.js backend the demo trains on,
 * as the {@link NAMED_BACKENDS} name it stands for — `cpu` there is `tfjs-cpu`, not `cpu`.
 */
export const DEMO_TRAINING_BACKENDS = { wasm: 'tfjs-wasm', cpu: 'tfjs-cpu' } as const satisfies Readonly<
  Record<string, BackendName>
>;

/** True for a name of {@link NAMED_BACKENDS}. */
export function isBackendName(name: string): name is BackendName {
  return Object.hasOwn(NAMED_BACKENDS, name);
}

/** Names accepted by `--backend` of `compose` and `merge`. */
export const BACKEND_NAMES: readonly BackendName[] = (Object.keys(NAMED_BACKENDS) as BackendName[]).filter(
  (name) => NAMED_BACKENDS[name].kernelOption,
);

/** Resolves the `--backend` option (default `reference`) to a backend value, or a usage error listing valid names. */
export async function backendFromOption(name: string | undefined): Promise<Backend> {
  const key = name ?? 'reference';
  if (!isBackendName(key) || !NAMED_BACKENDS[key].kernelOption) {
    throw new UsageError(`unknown backend "${key}": valid backends are ${BACKEND_NAMES.join(', ')}`);
  }
  return NAMED_BACKENDS[key].load();
}
