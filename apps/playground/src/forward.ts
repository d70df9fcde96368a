import * as tf from '@tensorflow/tfjs';
import { compareTensors, composeAdapter, readSafetensors, tensor, toF32, type Backend, type HostTensor, type VBLoRAAdapter } from '@vblora/core';
import { createTfjsBackend, loadVBLoRA, toyFromStateDict, toyOptions, type ToyFamily } from '@vblora/tfjs';
import { createWebGpuBackend } from '@vblora/webgpu';

/** What one forward run measured. */
export interface ForwardResult {
  readonly family: ToyFamily;
  /** Backend that composed A/B of every module, and how long it took. */
  readonly composeOn: string;
  readonly composeMs: number;
  /** Backend of the model forward (tf.js), and how long it took. */
  readonly forwardOn: string;
  readonly forwardMs: number;
  readonly outputShape: readonly number[];
  /** Max abs error vs PEFT's `output.adapter`, when an expected.safetensors was given. */
  readonly errVsPeft?: number;
  /** Max abs error of the model forward vs the reference-composed delta path (sanity). */
  readonly note: string;
}

function familyOf(keys: Iterable<string>): ToyFamily {
  for (const k of keys) {
    if (k.startsWith('transformer.h.')) return 'gpt2';
    if (k.startsWith('model.layers.')) return 'llama';
  }
  return 'linear';
}

/** WebGPU when the browser has an adapter, else tf.js: the backend that composes A and B. */
async function composeBackend(): Promise<Backend> {
  const gpu = createWebGpuBackend();
  if (await gpu.isAvailable()) return gpu;
  return createTfjsBackend({ tfBackend: tf.getBackend() });
}

/**
 * Builds the toy model from a base state dict, applies the adapter, composes every module on WebGPU (falling back
 * to tf.js) and runs the model forward on tf.js, timing both; with PEFT's expected.safetensors the output is
 * compared with PEFT's.
 */
export async function runForward(adapter: VBLoRAAdapter, baseBytes: Uint8Array, expectedBytes?: Uint8Array): Promise<ForwardResult> {
  await tf.ready();
  const base = readSafetensors(baseBytes).tensors;
  const family = familyOf(base.keys());
  const toy = toyFromStateDict(family, base);
  const expected = expectedBytes === undefined ? undefined : readSafetensors(expectedBytes).tensors;
  const composer = await composeBackend();
  const t0 = performance.now();
  await composeAdapter(adapter, { backend: composer });
  const composeMs = performance.now() - t0;
  const vb = loadVBLoRA(toy.model, adapter, toyOptions(toy));
  const hidden = toy.model.inputs[0]!.shape[toy.model.inputs[0]!.shape.length - 1] as number;
  const xHost: HostTensor = expected?.get('input.x') ?? tensor('f32', [1, 8, hidden], Float32Array.from({ length: 8 * hidden }, (_, i) => Math.sin(i)));
  const x = tf.tensor(toF32(xHost).data, [...xHost.shape]);
  const t1 = performance.now();
  const y = vb.predict(x);
  const data = (await y.data()) as Float32Array;
  const forwardMs = performance.now() - t1;
  const out = tensor('f32', y.shape, Float32Array.from(data));
  const want = expected?.get('output.adapter');
  const errVsPeft = want === undefined ? undefined : compareTensors(out, toF32(want), { atol: 0, rtol: 0 }).maxAbs;
  tf.dispose([x, y]);
  vb.dispose();
  toy.model.dispose();
  return {
    family,
    composeOn: composer.name,
    composeMs,
    forwardOn: `tfjs-${tf.getBackend()}`,
    forwardMs,
    outputShape: out.shape,
    ...(errVsPeft === undefined ? {} : { errVsPeft }),
    note: composer.name === 'webgpu' ? '' : 'no WebGPU adapter in this browser: composed on tf.js',
  };
}
