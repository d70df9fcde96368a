/** Golden toy models and adapters on tf.js, plus host conversions for comparing model outputs. */
import * as tf from '@tensorflow/tfjs';
import { fromF32, tensor, toF32, type HostTensor, type VBLoRAAdapter } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { toyFromStateDict, type ToyFamily, type ToyModel } from '@vblora/tfjs';
import { goldenTensors, need, peftGoldenPath, type PeftGoldenCase } from './golden.js';

/** The toy family of a golden case. */
export function familyOf(c: PeftGoldenCase): ToyFamily {
  return c.startsWith('gpt2') ? 'gpt2' : c.startsWith('edge') ? 'linear' : 'llama';
}

/** The toy model of a golden case, loaded from its base.safetensors. */
export function goldenToy(c: PeftGoldenCase): ToyModel {
  return toyFromStateDict(familyOf(c), goldenTensors(c, 'base.safetensors'));
}

/** An adapter folder of a golden case, read with core. */
export async function goldenAdapter(
  c: PeftGoldenCase,
  flavour: 'adapter_full' | 'adapter_topk',
): Promise<VBLoRAAdapter> {
  return (await readAdapterDir(peftGoldenPath(c, flavour))).adapter;
}

/** The golden input `input.x` as a float32 tf tensor. */
export function goldenInput(c: PeftGoldenCase): tf.Tensor {
  const x = toF32(need(goldenTensors(c, 'expected.safetensors'), 'input.x'));
  return tf.tensor(x.data, [...x.shape], 'float32');
}

/** Reads a model output into a host tensor in the model's dtype (exact for emulated bf16 values), disposing it. */
export function hostOutput(y: tf.Tensor, dtype: ToyModel['dtype']): HostTensor {
  try {
    return fromF32(tensor('f32', y.shape, Float32Array.from(y.dataSync())), dtype);
  } finally {
    y.dispose();
  }
}
