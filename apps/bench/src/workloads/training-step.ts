import type { BenchRow } from '../result.js';
import { fmtTiming, timePaired } from '../stats.js';

/**
 * One training step (forward, backward through the top-k admixture, AdamW update) of VB-LoRA vs a plain LoRA of
 * the same rank on the same ToyLlama, on TensorFlow.js — run on whichever tf.js backend is active (set by the
 * caller); the two steps alternate, repetition by repetition.
 */
export async function trainingStepWorkload(tfName: string, hidden: number, reps: number): Promise<BenchRow> {
  const tf = await import('@tensorflow/tfjs');
  const { applyLoRA, applyVBLoRA, buildToyLlama, toyOptions, trainAdapter } = await import('@vblora/tfjs');
  const dims = { hidden, intermediate: 2 * hidden, layers: 2, nOut: hidden, seed: 1 };
  const targets = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'up_proj', 'down_proj'];
  const x = tf.randomNormal([4, 16, hidden], 0, 1, 'float32', 1);
  const y = tf.randomNormal([4, 16, hidden], 0, 1, 'float32', 2);
  const batch = { x, y };
  const vbBase = buildToyLlama(dims);
  const vb = applyVBLoRA(
    vbBase.model,
    { r: 4, num_vectors: 256, vector_length: Math.min(64, hidden), topk: 2, target_modules: targets },
    { ...toyOptions(vbBase), seed: 1 },
  );
  const loraBase = buildToyLlama(dims);
  const lora = applyLoRA(loraBase.model, { r: 4, targetModules: targets, seed: 1, ...toyOptions(loraBase) });
  // one AdamW per model, created by a first step and reused: a timed step is forward, backward and update only
  const vbOpt = (await trainAdapter(vb, { batches: [batch], steps: 1 })).optimizer;
  const loraOpt = (await trainAdapter(lora, { batches: [batch], steps: 1 })).optimizer;
  try {
    // alternating the two steps repetition by repetition, so a change of machine speed during the run hits both
    const [tVb, tLora] = await timePaired(
      () => trainAdapter(vb, { batches: [batch], steps: 1, optimizer: vbOpt }),
      () => trainAdapter(lora, { batches: [batch], steps: 1, optimizer: loraOpt }),
      reps,
      2,
    );
    return {
      workload: 'training step',
      case: `ToyLlama hidden ${hidden}, 12 modules, r 4, batch 4×16`,
      backend: `tfjs-${tfName}`,
      timing: tVb,
      value: `VB-LoRA ${fmtTiming(tVb)} vs LoRA ${fmtTiming(tLora)}`,
      ratio: tVb.medianMs / tLora.medianMs,
      ratioOf: '× the LoRA step',
      target: 1.2,
    };
  } finally {
    vbOpt.dispose();
    loraOpt.dispose();
    vb.dispose();
    lora.dispose();
    vbBase.model.dispose();
    loraBase.model.dispose();
    tf.dispose([x, y]);
  }
}
