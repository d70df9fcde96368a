import { referenceBackend, type Backend } from '@vblora/core';
import { createCpuBackend } from '@vblora/cpu';
import { UsageError } from './errors.js';

/** Backends the `--backend` option accepts, each loaded only when asked for. */
const BACKENDS: Readonly<Record<string, () => Promise<Backend>>> = {
  reference: async () => referenceBackend,
  cpu: async () => createCpuBackend(),
  onnx: async () => (await import('@vblora/onnx')).onnxBackend,
  webgpu: async () => (await import('@vblora/webgpu/node')).createNodeWebGpuBackend(),
};

/** Names accepted by `--backend`. */
export const BACKEND_NAMES: readonly string[] = Object.keys(BACKENDS);

/** Resolves the `--backend` option (default `reference`) to a backend value, or a usage error listing valid names. */
export async function backendFromOption(name: string | undefined): Promise<Backend> {
  const key = name ?? 'reference';
  const load = Object.hasOwn(BACKENDS, key) ? BACKENDS[key] : undefined;
  if (load === undefined) {
    throw new UsageError(`unknown backend "${key}": valid backends are ${BACKEND_NAMES.join(', ')}`);
  }
  return load();
}
