import * as tf from '@tensorflow/tfjs';
import { tensor } from '@vblora/core';
import { loadVBLoRA, toyFromStateDict, toyOptions } from '@vblora/tfjs';
import type { ModelRun } from './model-parity.js';

/** The tfjs ToyLlama built from the base weights, the adapter loaded with `loadVBLoRA`, one forward. */
export async function loadTfjsForward(): Promise<ModelRun> {
  return async ({ adapter, base, x }) => {
    const toy = toyFromStateDict('llama', base);
    const vb = loadVBLoRA(toy.model, adapter, toyOptions(toy));
    try {
      const y = tf.tidy(() => vb.predict(tf.tensor(x.data, [...x.shape])));
      const data = (await y.data()) as Float32Array;
      y.dispose();
      return tensor('f32', y.shape, data);
    } finally {
      vb.dispose();
      toy.model.dispose();
    }
  };
}
