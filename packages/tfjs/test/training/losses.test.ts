/**
 * The training losses against tf.js's own implementations (`tf.losses.*`), on seeded inputs, within float32
 * rounding of a mean over 60 terms (|a − e| ≤ 1e-6 · |e| + 1e-7).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { crossEntropyLoss, mseLoss } from '@vblora/tfjs';
import { useTfBackend } from '../helpers/tf-setup.js';

describe('losses', () => {
  it('mseLoss and crossEntropyLoss equal tf.losses', async () => {
    await useTfBackend('cpu');
    const before = tf.memory().numTensors;
    const [ours, theirs] = tf.tidy(() => {
      const pred = tf.randomNormal([3, 4, 5], 0, 2, 'float32', 1);
      const target = tf.randomNormal([3, 4, 5], 0, 1, 'float32', 2);
      const onehot = tf.oneHot(tf.tensor1d([0, 4, 2, 1, 3, 0, 1, 2, 3, 4, 0, 1], 'int32'), 5).reshape([3, 4, 5]);
      return [
        [mseLoss(pred, target).dataSync()[0]!, crossEntropyLoss(pred, onehot).dataSync()[0]!],
        [
          tf.losses.meanSquaredError(target, pred).dataSync()[0]!,
          tf.losses.softmaxCrossEntropy(onehot, pred).dataSync()[0]!,
        ],
      ];
    });
    ours!.forEach((v, i) => expect(Math.abs(v - theirs![i]!)).toBeLessThanOrEqual(1e-6 * Math.abs(theirs![i]!) + 1e-7));
    expect(tf.memory().numTensors).toBe(before);
  });
});
