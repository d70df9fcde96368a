import * as tf from '@tensorflow/tfjs';
import { createRng } from '@vblora/core';
import { buildToyLlama, toyLayer, type Batch, type ToyModel } from '@vblora/tfjs';

/** The embedded default: a small ToyLlama (PEFT fixture architecture), built deterministically. */
export const DEMO_MODEL = { hidden: 64, intermediate: 128, layers: 2, nOut: 32, seed: 1 } as const;

/** Projections the teacher changes (the student does not know which). */
export const CHANGED = [
  'model.layers.0.self_attn.q_proj',
  'model.layers.0.self_attn.v_proj',
  'model.layers.1.self_attn.v_proj',
  'model.layers.1.mlp.up_proj',
] as const;

/** The base model the adapters start from. */
export function demoBase(): ToyModel {
  return buildToyLlama(DEMO_MODEL);
}

/** The teacher: the base with a hidden rank-2 change W ← W + U·V on a few projections. */
export function demoTeacher(): ToyModel {
  const t = buildToyLlama(DEMO_MODEL);
  const rng = createRng(9);
  for (const p of CHANGED) {
    const kernel = toyLayer(t, p).weights[0]!;
    const [rows, cols] = kernel.shape as [number, number];
    const next = tf.tidy(() => {
      const u = tf.tensor2d(
        Float32Array.from({ length: rows * 2 }, () => 0.25 * rng.normal()),
        [rows, 2],
      );
      const v = tf.tensor2d(
        Float32Array.from({ length: 2 * cols }, () => 0.25 * rng.normal()),
        [2, cols],
      );
      return tf.add(kernel.read(), tf.matMul(u, v));
    });
    kernel.write(next);
    next.dispose();
  }
  return t;
}

/** `n` fixed batches of N(0, 1) inputs (4 sequences × 8 tokens) labelled by the teacher. */
export function demoBatches(teacher: ToyModel, n: number): Batch[] {
  return Array.from({ length: n }, (_, i) => {
    const x = tf.randomNormal([4, 8, DEMO_MODEL.hidden], 0, 1, 'float32', 100 + i);
    return { x, y: teacher.model.predict(x) as tf.Tensor };
  });
}
