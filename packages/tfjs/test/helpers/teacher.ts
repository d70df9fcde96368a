/**
 * The proof-of-learning setup: a ToyLlama teacher that is the base model plus a hidden rank-2 change of three
 * projections, and fixed random batches labelled by the teacher.
 */
import * as tf from '@tensorflow/tfjs';
import { createRng } from '@vblora/core';
import { buildToyLlama, toyLayer, type Batch, type ToyModel } from '@vblora/tfjs';

/** Sizes and seed shared by teacher and student. */
export const TOY = { hidden: 32, intermediate: 64, layers: 2, nOut: 16, seed: 1 } as const;

/** The base model the student starts from. */
export function studentBase(): ToyModel {
  return buildToyLlama(TOY);
}

/** The teacher: the base model with W ← W + U·V (rank 2, entries N(0, 0.3²)) on three attention projections. */
export function teacher(): ToyModel {
  const t = buildToyLlama(TOY);
  const rng = createRng(9);
  for (const p of [
    'model.layers.0.self_attn.q_proj',
    'model.layers.0.self_attn.v_proj',
    'model.layers.1.self_attn.v_proj',
  ]) {
    const kernel = toyLayer(t, p).weights[0]!;
    const next = tf.tidy(() => {
      const u = tf.tensor2d(
        Float32Array.from({ length: TOY.hidden * 2 }, () => 0.3 * rng.normal()),
        [TOY.hidden, 2],
      );
      const v = tf.tensor2d(
        Float32Array.from({ length: 2 * TOY.hidden }, () => 0.3 * rng.normal()),
        [2, TOY.hidden],
      );
      return tf.add(kernel.read(), tf.matMul(u, v));
    });
    kernel.write(next);
    next.dispose();
  }
  return t;
}

/** `n` batches (4, 6, hidden) of N(0, 1) inputs with the teacher's outputs as targets. */
export function teacherBatches(t: ToyModel, n: number): Batch[] {
  return Array.from({ length: n }, (_, i) => {
    const x = tf.randomNormal([4, 6, TOY.hidden], 0, 1, 'float32', 100 + i);
    return { x, y: t.model.predict(x) as tf.Tensor };
  });
}
