/**
 * AdamW and training-mode dropout, checked by properties that follow from their definitions (no invented
 * numbers): Adam's first step moves every parameter by lr·g/(|g| + ε) — lr·sign(g) up to ε; decoupled weight
 * decay with a zero gradient scales parameters by exactly f32(1 − lr·wd); groups keep their own rates; dropout
 * masks come from the seeded stream, so equal seeds give equal losses and dropout changes the training forward
 * only.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@vblora/core';
import { AdamW, applyVBLoRA, buildToyLlama, lossAndGradients, toyOptions } from '@vblora/tfjs';
import { useTfBackend } from '../helpers/tf-setup.js';

describe('AdamW', () => {
  it('first step: lr·g/(|g|+ε) per parameter, group by group; decay with zero gradient scales by 1 − lr·wd', async () => {
    await useTfBackend('cpu');
    const before = tf.memory().numTensors;
    const p1 = tf.tidy(() => tf.variable(tf.tensor1d([1, -2, 3])));
    const p2 = tf.tidy(() => tf.variable(tf.tensor1d([4, 5])));
    const opt = new AdamW([
      { variables: [p1], lr: 0.1 },
      { variables: [p2], lr: 0.01, weightDecay: 0.5 },
    ]);
    const g1 = tf.tensor1d([0.5, -0.25, 2]);
    const g2 = tf.tensor1d([0, 0]);
    opt.step({ [p1.name]: g1, [p2.name]: g2 });
    const got1 = Array.from(p1.dataSync());
    [1, -2, 3].forEach((v, i) => {
      const g = [0.5, -0.25, 2][i]!;
      expect(Math.abs(got1[i]! - (v - 0.1 * Math.sign(g)))).toBeLessThan(1e-6); // ε/|g| ≤ 4e-8 relative, f32 rounding
    });
    expect(Array.from(p2.dataSync())).toEqual(
      [4, 5].map((v) => Math.fround(Math.fround(v * Math.fround(1 - 0.01 * 0.5)))),
    );
    expect(opt.steps).toBe(1);
    expect(() => new AdamW([{ variables: [p1], lr: -1 }])).toThrow(ConfigError);
    expect(
      () =>
        new AdamW([
          { variables: [p1], lr: 1 },
          { variables: [p1], lr: 1 },
        ]),
    ).toThrow(ConfigError);
    opt.dispose();
    tf.dispose([p1, p2, g1, g2]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('dropout while training', () => {
  it('is seeded, changes the training loss only, and is off in inference', async () => {
    await useTfBackend('cpu');
    const before = tf.memory().numTensors;
    const toy = buildToyLlama({ hidden: 32, intermediate: 64, layers: 1, nOut: 16, seed: 2 });
    const cfg = {
      r: 2,
      num_vectors: 16,
      vector_length: 8,
      target_modules: ['q_proj', 'v_proj'],
      init_vector_bank_bound: 0.5,
    };
    const batch = {
      x: tf.randomNormal([2, 4, 32], 0, 1, 'float32', 3),
      y: tf.randomNormal([2, 4, 16], 0, 1, 'float32', 4),
    };
    const lossWith = (p: number, seed: number): number => {
      const vb = applyVBLoRA(
        toy.model,
        { ...cfg, vblora_dropout: p },
        { ...toyOptions(toy), seed: 1, dropoutSeed: seed },
      );
      const vars = vb.trainableVariables();
      vb.train();
      const { value, grads } = lossAndGradients(vb, batch, vars.logits);
      const loss = value.dataSync()[0]!;
      tf.dispose([value, ...Object.values(grads)]);
      vb.eval();
      vb.dispose();
      return loss;
    };
    const inference = (p: number): number => {
      const vb = applyVBLoRA(toy.model, { ...cfg, vblora_dropout: p }, { ...toyOptions(toy), seed: 1 });
      const y = vb.predict(batch.x);
      const s = Float32Array.from(y.dataSync());
      y.dispose();
      vb.dispose();
      return s.reduce((a, b) => a + b, 0);
    };
    expect(lossWith(0.5, 7)).toBe(lossWith(0.5, 7));
    expect(lossWith(0.5, 7)).not.toBe(lossWith(0.5, 8));
    expect(lossWith(0.5, 7)).not.toBe(lossWith(0, 7));
    expect(inference(0.5)).toBe(inference(0));
    tf.dispose([batch.x, batch.y]);
    toy.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
