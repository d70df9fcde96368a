/**
 * Proof of learning, end to end on tf.js wasm: a VB-LoRA adapter on q/v of a ToyLlama is trained toward a teacher
 * (the same base with a hidden rank-2 change) and the loss falls at least 5× (measured ≈ 8×) in 150 AdamW steps;
 * the trained adapter, saved in both PEFT flavours, reloads into a fresh base model — the full checkpoint
 * bit-for-bit (identical outputs and identical re-saved bytes), the top-k checkpoint within a few float32 ulps;
 * training resumes from the full checkpoint and is refused for the top-k one with PEFT's message.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterFromFiles, adapterToFiles, type AdapterFileContents } from '@vblora/core';
import {
  applyVBLoRA,
  loadVBLoRA,
  mseLoss,
  TOPK_RESUME_MESSAGE,
  toyOptions,
  trainAdapter,
  type Batch,
  type ToyModel,
  type TrainProgress,
  type VBLoRAModel,
} from '@vblora/tfjs';
import { EXACT, expectClose } from '../helpers/assert.js';
import { studentBase, teacher, teacherBatches } from '../helpers/teacher.js';
import { hostOutput } from '../helpers/toy.js';
import { useTfBackend } from '../helpers/tf-setup.js';

const CONFIG = { r: 4, num_vectors: 32, vector_length: 8, topk: 2, target_modules: ['q_proj', 'v_proj'] };
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('VB-LoRA learns a hidden low-rank change (tf.js wasm)', () => {
  let base: ToyModel;
  let teach: ToyModel;
  let batches: Batch[];
  let vb: VBLoRAModel;
  let lossHistory: number[];
  let full: AdapterFileContents;
  let topk: AdapterFileContents;
  let before: number;
  const progress: TrainProgress[] = [];

  beforeAll(async () => {
    await useTfBackend('wasm');
    before = tf.memory().numTensors;
    teach = teacher();
    batches = teacherBatches(teach, 8);
    base = studentBase();
    vb = applyVBLoRA(base.model, CONFIG, { ...toyOptions(base), seed: 2 });
    const result = await trainAdapter(vb, {
      batches,
      steps: 150,
      optimizer: { logitsLr: 5e-2, bankLr: 1e-2 },
      onStep: (p) => progress.push(p),
    });
    result.optimizer.dispose();
    lossHistory = result.lossHistory;
    full = adapterToFiles(vb.exportAdapter('default').adapter);
    topk = adapterToFiles(vb.exportAdapter('default', { flavour: 'topk' }).adapter);
  });

  afterAll(() => {
    vb.dispose();
    base.model.dispose();
    teach.model.dispose();
    tf.dispose(batches.flatMap((b) => [b.x, b.y]));
    expect(tf.memory().numTensors).toBe(before);
  });

  /** Mean loss of a model over all batches. */
  const lossOf = (m: VBLoRAModel): number =>
    mean(batches.map((b) => tf.tidy(() => mseLoss(m.predict(b.x), b.y).dataSync()[0]!)));

  it('the loss falls at least 5× and ends at least 5× below the base model', () => {
    expect(lossHistory).toHaveLength(150);
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
    expect(progress.map((p) => p.loss)).toEqual(lossHistory);
    expect(
      progress.every((p, i) => p.totalSteps === 150 && (i === 0 || p.elapsedMs >= progress[i - 1]!.elapsedMs)),
    ).toBe(true);
    const first = mean(lossHistory.slice(0, 8));
    const last = mean(lossHistory.slice(-8));
    expect(first / last).toBeGreaterThan(5);
    vb.disableAdapters();
    const baseLoss = lossOf(vb);
    vb.enableAdapters();
    expect(baseLoss / lossOf(vb)).toBeGreaterThan(5);
  });

  it('the full checkpoint reloads bit for bit and re-saves to identical bytes', () => {
    const fresh = studentBase();
    const reloaded = loadVBLoRA(
      fresh.model,
      adapterFromFiles({ config: full.config, weights: full.weights }).adapter,
      toyOptions(fresh),
    );
    for (const b of batches.slice(0, 2)) {
      expectClose(
        hostOutput(reloaded.predict(b.x), 'f32'),
        hostOutput(vb.predict(b.x), 'f32'),
        EXACT,
        'full reload output',
      );
    }
    const again = adapterToFiles(reloaded.exportAdapter().adapter);
    expect(again.config).toBe(full.config);
    expect(Buffer.from(again.weights).equals(Buffer.from(full.weights))).toBe(true);
    reloaded.dispose();
    fresh.model.dispose();
  });

  it('the top-k checkpoint reloads within a few float32 ulps (outputs O(1): atol 1e-6)', () => {
    const fresh = studentBase();
    const reloaded = loadVBLoRA(
      fresh.model,
      adapterFromFiles({ config: topk.config, weights: topk.weights }).adapter,
      toyOptions(fresh),
    );
    for (const b of batches.slice(0, 2)) {
      expectClose(
        hostOutput(reloaded.predict(b.x), 'f32'),
        hostOutput(vb.predict(b.x), 'f32'),
        { atol: 1e-6, rtol: 0 },
        'top-k reload output',
      );
    }
    expect(topk.weights.byteLength).toBeLessThan(full.weights.byteLength / 4);
    reloaded.dispose();
    fresh.model.dispose();
  });

  it('training resumes from the full checkpoint where it stopped', async () => {
    const fresh = studentBase();
    const resumed = loadVBLoRA(
      fresh.model,
      adapterFromFiles({ config: full.config, weights: full.weights }).adapter,
      toyOptions(fresh),
    );
    const first = batches[0]!;
    const expected = tf.tidy(() => mseLoss(vb.predict(first.x), first.y).dataSync()[0]!);
    const { lossHistory: more, optimizer } = await trainAdapter(resumed, { batches, steps: 3 });
    optimizer.dispose();
    expect(more[0]).toBe(expected);
    resumed.dispose();
    fresh.model.dispose();
  });

  it('training from the top-k checkpoint is refused with PEFT’s message', async () => {
    const fresh = studentBase();
    const fromTopk = loadVBLoRA(
      fresh.model,
      adapterFromFiles({ config: topk.config, weights: topk.weights }).adapter,
      toyOptions(fresh),
    );
    await expect(trainAdapter(fromTopk, { batches, steps: 1 })).rejects.toThrow(TOPK_RESUME_MESSAGE);
    fromTopk.dispose();
    fresh.model.dispose();
  });
});
