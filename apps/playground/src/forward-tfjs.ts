import * as tf from '@tensorflow/tfjs';
import { composeAdapter, tensor, toF32, type Backend, type HostTensor, type VBLoRAAdapter } from '@vblora/core';
import { createTfjsBackend, loadVBLoRA, toyFromStateDict, toyOptions, type ToyFamily } from '@vblora/tfjs';
import { createWebGpuBackend } from '@vblora/webgpu';
import type { ForwardRun } from './forward-run.js';

/** WebGPU when the browser has an adapter, else tf.js: the backend that composes A and B. */
async function composeBackend(): Promise<Backend> {
  const gpu = createWebGpuBackend();
  if (await gpu.isAvailable()) return gpu;
  return createTfjsBackend({ tfBackend: tf.getBackend() });
}

async function predict(
  model: { predict(x: tf.Tensor): tf.Tensor | tf.Tensor[] },
  x: tf.Tensor,
): Promise<HostTensor<'f32'>> {
  const y = model.predict(x) as tf.Tensor;
  const data = Float32Array.from((await y.data()) as Float32Array);
  const out = tensor('f32', y.shape, data);
  y.dispose();
  return out;
}

/**
 * The toy model of `family` on tf.js, with the adapter loaded by `loadVBLoRA`; A/B of every module are composed
 * separately (on WebGPU when there is an adapter) to time the compose step.
 */
export async function forwardOnTfjs(
  family: ToyFamily,
  adapter: VBLoRAAdapter,
  base: ReadonlyMap<string, HostTensor>,
  xHost: HostTensor,
): Promise<ForwardRun> {
  await tf.ready();
  const toy = toyFromStateDict(family, base);
  const composer = await composeBackend();
  const t0 = performance.now();
  await composeAdapter(adapter, { backend: composer });
  const composeMs = performance.now() - t0;
  const x = tf.tensor(toF32(xHost).data, [...xHost.shape]);
  const baseOut = await predict(toy.model, x);
  const vb = loadVBLoRA(toy.model, adapter, toyOptions(toy));
  try {
    const t1 = performance.now();
    await predict(vb, x);
    const forwardFirstMs = performance.now() - t1;
    const t2 = performance.now();
    const out = await predict(vb, x);
    const forwardMs = performance.now() - t2;
    return {
      composeOn: composer.name,
      composeMs,
      forwardOn: `tfjs-${tf.getBackend()}`,
      forwardFirstMs,
      forwardMs,
      out,
      baseOut,
    };
  } finally {
    x.dispose();
    vb.dispose();
    toy.model.dispose();
  }
}
