import {
  BackendUnavailableError,
  compareTensors,
  F32_TOL,
  readSafetensors,
  tensor,
  toF32,
  type HostTensor,
  type VBLoRAAdapter,
} from '@vblora/core';
import type { ToyFamily } from '@vblora/tfjs';
import { createWebGpuRuntime } from '@vblora/webgpu';
import type { ForwardRun } from './forward-run.js';
import { forwardOnTfjs } from './forward-tfjs.js';
import { forwardOnWebGpu } from './forward-webgpu.js';

/** The error of one output vs PEFT's. */
export interface PeftError {
  /** Max abs error. */
  readonly maxAbs: number;
  /** True when every element is within F32_TOL (|a − e| ≤ 1e-6 + 1e-5·|e|). */
  readonly withinTol: boolean;
}

/** What one forward run measured. */
export interface ForwardResult extends Omit<ForwardRun, 'out' | 'baseOut'> {
  readonly family: ToyFamily;
  readonly outputShape: readonly number[];
  /** Vs PEFT's `output.adapter` and `output.base`, when an expected.safetensors was given. */
  readonly peft?: { readonly adapter: PeftError; readonly base: PeftError };
  /** Why the forward ran where it did. */
  readonly note: string;
}

function familyOf(keys: Iterable<string>): ToyFamily {
  for (const k of keys) {
    if (k.startsWith('transformer.h.')) return 'gpt2';
    if (k.startsWith('model.layers.')) return 'llama';
  }
  return 'linear';
}

function vsPeft(actual: HostTensor, expected: HostTensor | undefined): PeftError | undefined {
  if (expected === undefined) return undefined;
  const r = compareTensors(actual, toF32(expected), F32_TOL);
  return { maxAbs: r.maxAbs, withinTol: r.ok };
}

/** The WebGPU runtime of this browser, or the reason there is none. */
async function openGpu() {
  try {
    return { rt: await createWebGpuRuntime() };
  } catch (e) {
    if (e instanceof BackendUnavailableError) return { reason: e.message };
    throw e;
  }
}

/**
 * Builds the toy model from a base state dict and runs it with the adapter, timing compose and forward. A float32
 * ToyLlama runs entirely on WebGPU when the browser has an adapter; everything else runs on tf.js (composing on
 * WebGPU when it can). With PEFT's expected.safetensors the outputs are compared with PEFT's.
 */
export async function runForward(
  adapter: VBLoRAAdapter,
  baseBytes: Uint8Array,
  expectedBytes?: Uint8Array,
): Promise<ForwardResult> {
  const base = readSafetensors(baseBytes).tensors;
  const family = familyOf(base.keys());
  const expected = expectedBytes === undefined ? undefined : readSafetensors(expectedBytes).tensors;
  const hidden = family === 'llama' ? base.get('model.layers.0.self_attn.q_proj.weight')?.shape[1] : undefined;
  const x =
    expected?.get('input.x') ??
    tensor(
      'f32',
      [1, 8, hidden ?? 64],
      Float32Array.from({ length: 8 * (hidden ?? 64) }, (_, i) => Math.sin(i)),
    );
  let run: ForwardRun;
  let note: string;
  const dtype = base.get('model.layers.0.self_attn.q_proj.weight')?.dtype;
  if (family !== 'llama') {
    note = `Toy${family === 'gpt2' ? 'GPT2' : 'Linear'} runs on tf.js: the WebGPU runtime has a ToyLlama forward only.`;
    run = await forwardOnTfjs(family, adapter, base, x);
  } else if (dtype !== 'f32') {
    note = `${dtype} ToyLlama runs on tf.js, which rounds activations as torch does; the WebGPU ToyLlama runs float32 models only.`;
    run = await forwardOnTfjs(family, adapter, base, x);
  } else {
    const gpu = await openGpu();
    if (gpu.rt === undefined) {
      note = `No WebGPU here (${gpu.reason}): composed and run on tf.js.`;
      run = await forwardOnTfjs(family, adapter, base, x);
    } else {
      note = `Compose and forward on WebGPU${gpu.rt.adapterName ? ` (${gpu.rt.adapterName})` : ''}.`;
      try {
        run = await forwardOnWebGpu(gpu.rt, adapter, base, x);
      } finally {
        gpu.rt.dispose();
      }
    }
  }
  const { out, baseOut, ...timings } = run;
  const a = vsPeft(out, expected?.get('output.adapter'));
  const b = vsPeft(baseOut, expected?.get('output.base'));
  return { family, ...timings, outputShape: out.shape, ...(a && b ? { peft: { adapter: a, base: b } } : {}), note };
}
