import * as tf from '@tensorflow/tfjs';
import { it } from 'vitest';
import { applyVBLoRA, buildToyLlama, toyOptions, trainAdapter, toyLayer } from '@vblora/tfjs';
import { createRng } from '@vblora/core';
import { useTfBackend } from '../helpers/tf-setup.js';

it('learn', async () => {
  for (const [b, llr, blr] of [['wasm', 5e-2, 1e-2], ['wasm', 3e-2, 2e-2], ['wasm', 1e-1, 1e-2]] as const) {
  await useTfBackend(b);
  const opts = { hidden: 32, intermediate: 64, layers: 2, nOut: 16, seed: 1 };
  const teacher = buildToyLlama(opts);
  const rng = createRng(9);
  for (const p of ['model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.v_proj', 'model.layers.1.self_attn.v_proj']) {
    const k = toyLayer(teacher, p).weights[0]!;
    const u = tf.tensor2d(Float32Array.from({ length: 32 * 2 }, () => rng.normal() * 0.3), [32, 2]);
    const v = tf.tensor2d(Float32Array.from({ length: 2 * 32 }, () => rng.normal() * 0.3), [2, 32]);
    k.write(tf.add(k.read(), tf.matMul(u, v)));
  }
  const student = buildToyLlama(opts);
  const vb = applyVBLoRA(student.model, { r: 4, num_vectors: 32, vector_length: 8, topk: 2, target_modules: ['q_proj', 'v_proj'] }, { ...toyOptions(student), seed: 2 });
  const batches = Array.from({ length: 8 }, (_, i) => { const x = tf.randomNormal([4, 6, 32], 0, 1, 'float32', 100 + i); return { x, y: teacher.model.predict(x) as tf.Tensor }; });
  const t0 = performance.now();
  const { lossHistory } = await trainAdapter(vb, { batches, steps: 150, optimizer: { logitsLr: llr, bankLr: blr } });
  const ms = performance.now() - t0;
  const first = lossHistory.slice(0, 8).reduce((a, c) => a + c) / 8, last = lossHistory.slice(-8).reduce((a, c) => a + c) / 8;
  vb.disableAdapters();
  let base = 0; for (const bt of batches) { const yb = vb.predict(bt.x); base += tf.losses.meanSquaredError(bt.y, yb).dataSync()[0]! / 8; }
  console.log(b, llr, blr, ms.toFixed(0), 'ms', 'first', first, 'last', last, 'ratio', first / last, 'base', base, lossHistory.filter((_, i) => i % 25 === 0));
  }
});
