import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { referenceBackend, type Backend } from '@vblora/core';
import { createCpuBackend } from '@vblora/cpu';

/** Backends the bench knows how to start, by name; each is imported only when asked for. */
export const BENCH_BACKENDS: Readonly<Record<string, () => Promise<Backend>>> = {
  reference: async () => referenceBackend,
  cpu: async () => createCpuBackend(),
  'tfjs-wasm': async () => tfjsBackend('wasm'),
  'tfjs-cpu': async () => tfjsBackend('cpu'),
  onnx: async () => (await import('@vblora/onnx')).onnxBackend,
  webgpu: async () => (await import('@vblora/webgpu/node')).createNodeWebGpuBackend(),
};

async function tfjsBackend(tfBackend: 'wasm' | 'cpu'): Promise<Backend> {
  const tf = await import('@tensorflow/tfjs');
  const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
  // the wasm binaries come from node_modules, never from a CDN
  setWasmPaths(
    `${join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`,
  );
  tf.enableProdMode();
  const { createTfjsBackend } = await import('@vblora/tfjs');
  return createTfjsBackend({ tfBackend, name: `tfjs-${tfBackend}` });
}

/** Starts the named backends; a backend that cannot run here is reported through `skipped`, not thrown. */
export async function loadBackends(
  names: readonly string[],
  skipped: (name: string, why: string) => void,
): Promise<Backend[]> {
  const out: Backend[] = [];
  for (const name of names) {
    const load = BENCH_BACKENDS[name];
    if (load === undefined)
      throw new Error(`unknown backend "${name}"; known: ${Object.keys(BENCH_BACKENDS).join(', ')}`);
    try {
      const b = await load();
      if (!(await b.isAvailable())) throw new Error('isAvailable() is false');
      await b.init?.();
      out.push(b);
    } catch (err) {
      skipped(name, (err as Error).message.split('\n')[0] ?? 'failed to start');
    }
  }
  return out;
}
