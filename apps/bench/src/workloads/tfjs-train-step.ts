/**
 * tf.js workload of `npm run bench` (docs/benchmarks.md): one training step of VB-LoRA vs plain LoRA of the same
 * rank, same model, same tf.js backend.
 *
 * Run: `node apps/bench/dist/package-script.js tfjs-train-step [wasm] [cpu]` (after `npm run build`).
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { adapterToFiles } from '@vblora/core';
import {
  applyLoRA,
  applyVBLoRA,
  buildToyLlama,
  createOptimizer,
  lossAndGradients,
  toyOptions,
  type TrainableModel,
} from '@vblora/tfjs';
import { tfBackendsFrom, time, useTf, type Timing } from './tfjs-timing.js';

const SIZE = { hidden: 512, intermediate: 1024, layers: 2, nOut: 512, seed: 1 };
const BATCH = [8, 32]; // sequences × tokens
const TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'up_proj', 'down_proj'];
const R = 4;

async function stepTimer(wrapped: TrainableModel, batch: { x: tf.Tensor; y: tf.Tensor }): Promise<Timing> {
  const optimizer = createOptimizer(wrapped);
  const step = (): void => {
    wrapped.train();
    const { value, grads } = lossAndGradients(wrapped, batch, optimizer.variables);
    optimizer.step(grads);
    wrapped.invalidate();
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  const t = await time(step, { runs: 5, warmup: 2 });
  optimizer.dispose();
  return t;
}

interface Row {
  readonly backend: string;
  readonly forward: Timing;
  readonly vbStep: Timing;
  readonly loraStep: Timing;
  readonly nVb: number;
  readonly nLora: number;
  readonly vbBytes: { readonly full: number; readonly topk: number };
}

/** Runs the benchmark on the tf.js backends named in `argv` and prints its table to stdout. */
export async function tfjsTrainStepBench(argv: readonly string[]): Promise<void> {
  const rows: Row[] = [];
  for (const backend of tfBackendsFrom(argv)) {
    await useTf(backend);
    const toy = buildToyLlama(SIZE);
    const x = tf.randomNormal([...BATCH, SIZE.hidden], 0, 1, 'float32', 1);
    const batch = { x, y: toy.model.predict(x) as tf.Tensor };
    const forward = await time(() => tf.tidy(() => (toy.model.predict(x) as tf.Tensor).dataSync()), { runs: 5 });
    const vb = applyVBLoRA(
      toy.model,
      { r: R, num_vectors: 256, vector_length: 64, topk: 2, target_modules: TARGETS },
      toyOptions(toy),
    );
    const vbParams = vb.trainableVariables();
    const nVb = [...vbParams.logits, ...vbParams.bank].reduce((s, v) => s + v.size, 0);
    const vbStep = await stepTimer(vb, batch);
    const vbBytes = {
      full: adapterToFiles(vb.exportAdapter().adapter).weights.byteLength,
      topk: adapterToFiles(vb.exportAdapter('default', { flavour: 'topk' }).adapter).weights.byteLength,
    };
    vb.dispose();
    const lora = applyLoRA(toy.model, { r: R, targetModules: TARGETS });
    const nLora = lora.trainableVariables().other.reduce((s, v) => s + v.size, 0);
    const loraStep = await stepTimer(lora, batch);
    lora.dispose();
    rows.push({ backend, forward, vbStep, loraStep, nVb, nLora, vbBytes });
    tf.dispose([x, batch.y]);
    toy.model.dispose();
  }

  console.log(
    `ToyLlama hidden ${SIZE.hidden}, intermediate ${SIZE.intermediate}, ${SIZE.layers} layers; batch ${BATCH.join('×')} tokens; rank ${R} on ${TARGETS.length * SIZE.layers} layers`,
  );
  console.log('VB-LoRA: nv 256, vl 64, k 2 (trainable = logits + bank); LoRA: A, B (B = 0 init); AdamW, MSE loss');
  console.log(
    'backend | base forward ms | VB-LoRA step ms (median/min) | LoRA step ms (median/min) | VB/LoRA | trainable VB-LoRA / LoRA',
  );
  const sizes = rows[0];
  if (sizes !== undefined) {
    console.log(
      `checkpoint bytes: VB-LoRA full ${sizes.vbBytes.full}, VB-LoRA top-k ${sizes.vbBytes.topk}; LoRA A+B in f32 ${sizes.nLora * 4}`,
    );
  }
  for (const r of rows) {
    console.log(
      `${r.backend} | ${r.forward.median.toFixed(1)} | ${r.vbStep.median.toFixed(1)} / ${r.vbStep.min.toFixed(1)} | ` +
        `${r.loraStep.median.toFixed(1)} / ${r.loraStep.min.toFixed(1)} | ${(r.vbStep.median / r.loraStep.median).toFixed(2)}× | ${r.nVb} / ${r.nLora}`,
    );
  }
}
