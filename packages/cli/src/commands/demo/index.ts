import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { adapterFromFiles, bankUsage, writeSafetensors } from '@vblora/core';
import { writeAdapterDir, writeFileAtomic } from '@vblora/core/node';
import { loadVBLoRA, mseLoss, toyOptions, toyStateDict, type Batch } from '@vblora/tfjs';
import { DEMO_TRAINING_BACKENDS, NAMED_BACKENDS } from '../../backend-option.js';
import { printable, type CliIO } from '../../io.js';
import type { CliOptions } from '../../main.js';
import { createProgress } from '../../progress.js';
import { UsageError } from '../../errors.js';
import { modelCandidates } from './model-candidates.js';
import { prepareDemoFolder } from './output-folder.js';
import { modelParityTable, probeInput } from './model-parity.js';
import { ONNX_FILES } from './onnx-runs.js';
import { parityTable, type BackendCandidate } from './parity.js';
import { parityText } from './parity-text.js';
import { reportHtml } from './report-html.js';
import { bothFlavours, equalBytesRank, loraStored, sizeTable } from './sizes.js';
import { tinyLlamaText, tinyLlamaTextLines, TINY_LLAMA_OUT } from './tiny-llama.js';
import { useTf } from '../tf-node.js';
import { demoBase, demoBatches, demoTeacher, DEMO_MODEL } from './toy-task.js';
import { DEMO_VBLORA, trainLoRA, trainVBLoRA } from './train-both.js';

/** Default number of training steps (the README's `npm run demo`). */
export const DEMO_STEPS = 200;

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function meanLoss(predict: (x: tf.Tensor) => tf.Tensor, batches: readonly Batch[]): number {
  return mean(batches.map((b) => tf.tidy(() => mseLoss(predict(b.x), b.y).dataSync()[0]!)));
}

/** Backends the parity step tries besides the reference (each skipped with a note when unavailable). */
function candidates(tfBackend: keyof typeof DEMO_TRAINING_BACKENDS): BackendCandidate[] {
  return [
    { label: 'cpu (wasm simd)', load: NAMED_BACKENDS.cpu.load },
    { label: `tfjs (${tfBackend})`, load: NAMED_BACKENDS[DEMO_TRAINING_BACKENDS[tfBackend]].load },
    { label: 'onnxruntime-node', load: NAMED_BACKENDS.onnx.load },
    { label: 'webgpu (Dawn)', load: NAMED_BACKENDS.webgpu.load },
  ];
}

/**
 * `vblora demo`: the main job on the embedded default. Builds a small ToyLlama and a teacher (a hidden low-rank
 * change), trains VB-LoRA and a same-rank LoRA toward it on TensorFlow.js, saves the adapter in both PEFT flavours,
 * reloads the top-k file on every available backend — kernels, and whole-model runs on tfjs, onnxruntime
 * (inject and merge) and WebGPU — and writes `demo-output/` with a self-contained report. The folder must be new,
 * empty or an earlier demo's (see `prepareDemoFolder`): nothing else in it is ever removed.
 */
export async function runDemo(_args: readonly string[], options: CliOptions, io: CliIO): Promise<number> {
  const steps = options.steps === undefined ? DEMO_STEPS : Number(options.steps);
  if (!Number.isSafeInteger(steps) || steps < 1)
    throw new UsageError(`demo: --steps must be a positive integer, got ${options.steps}`);
  const tfBackend = options.backend ?? 'wasm';
  if (tfBackend !== 'wasm' && tfBackend !== 'cpu')
    throw new UsageError(`demo: --backend trains on TensorFlow.js "wasm" or "cpu", got "${tfBackend}"`);
  if (options.out === '') throw new UsageError('demo: --out is empty (an unset variable?); give a new or empty folder');
  const out = resolve(options.out ?? 'demo-output');
  const lock = await prepareDemoFolder(out);
  try {
    return await runInFolder(out, steps, tfBackend, io);
  } finally {
    await lock.release();
  }
}

async function runInFolder(out: string, steps: number, tfBackend: 'wasm' | 'cpu', io: CliIO): Promise<number> {
  await useTf(tfBackend);
  const before = tf.memory().numTensors;

  io.out(
    `vblora demo — ToyLlama (hidden ${DEMO_MODEL.hidden}, ${DEMO_MODEL.layers} layers), teacher = base + hidden rank-2 change\n`,
  );
  io.out(
    `VB-LoRA r ${DEMO_VBLORA.r}, num_vectors ${DEMO_VBLORA.num_vectors}, vector_length ${DEMO_VBLORA.vector_length}, top-${DEMO_VBLORA.topk}; ${steps} AdamW steps on tfjs ${tfBackend}\n`,
  );
  const teacher = demoTeacher();
  const batches = demoBatches(teacher, 8);

  const p1 = createProgress(io, 'train VB-LoRA');
  const vb = await trainVBLoRA(batches, steps, (p) =>
    p1.update(p.step, p.totalSteps, `loss ${p.loss.toExponential(3)}`),
  );
  p1.finish();
  const p2 = createProgress(io, 'train LoRA');
  const lora = await trainLoRA(batches, steps, (p) =>
    p2.update(p.step, p.totalSteps, `loss ${p.loss.toExponential(3)}`),
  );
  p2.finish();
  // LoRA at equal stored bytes (the paper's comparison): the rank whose file is closest to the VB-LoRA top-k file
  const { full, topk, files } = bothFlavours(vb.model);
  const eqRank = equalBytesRank(lora.model, files.topk.weights.byteLength, DEMO_VBLORA.r);
  const p3 = createProgress(io, `train LoRA r ${eqRank}`);
  const loraEq = await trainLoRA(
    batches,
    steps,
    (p) => p3.update(p.step, p.totalSteps, `loss ${p.loss.toExponential(3)}`),
    eqRank,
  );
  p3.finish();
  vb.model.disableAdapters();
  const baseLoss = meanLoss((x) => vb.model.predict(x), batches);
  vb.model.enableAdapters();
  const vbLoss = meanLoss((x) => vb.model.predict(x), batches);
  const loraLoss = meanLoss((x) => lora.model.predict(x), batches);
  const loraEqLoss = meanLoss((x) => loraEq.model.predict(x), batches);
  io.out(
    `\nfinal loss: base ${baseLoss.toExponential(3)} → VB-LoRA ${vbLoss.toExponential(3)} (${(vb.ms / 1000).toFixed(1)} s), LoRA ${loraLoss.toExponential(3)} (${(lora.ms / 1000).toFixed(1)} s)\n`,
  );
  const cmp = [
    { what: `VB-LoRA r ${DEMO_VBLORA.r}, top-k file`, loss: vbLoss, bytes: files.topk.weights.byteLength },
    { what: `LoRA r ${eqRank}, equal bytes (closest rank)`, loss: loraEqLoss, bytes: loraStored(loraEq.model).bytes },
    { what: `LoRA r ${DEMO_VBLORA.r}, equal rank`, loss: loraLoss, bytes: loraStored(lora.model).bytes },
  ];
  io.out(
    `\nVB-LoRA vs LoRA, as the paper compares them (same ${steps} steps, measured)\n  ${'adapter'.padEnd(36)} ${'final loss'.padStart(10)} ${'stored bytes'.padStart(12)}\n`,
  );
  for (const c of cmp)
    io.out(`  ${c.what.padEnd(36)} ${c.loss.toExponential(3).padStart(10)} ${String(c.bytes).padStart(12)}\n`);
  await writeAdapterDir(join(out, 'adapter_full'), full);
  await writeAdapterDir(join(out, 'adapter_topk'), topk);
  const baseToy = demoBase();
  const base = toyStateDict(baseToy);
  baseToy.model.dispose();
  await writeFileAtomic(join(out, 'base.safetensors'), writeSafetensors(base));
  const sizes = sizeTable(full, files, lora.model, loraEq.model);
  io.out('\nstored adapter                                   bytes   savable params\n');
  for (const s of sizes)
    io.out(`  ${s.what.padEnd(44)} ${String(s.bytes).padStart(8)}   ${String(s.params).padStart(8)}\n`);

  // the top-k file, read back as a user would, on every backend available here
  const reloaded = adapterFromFiles({ config: files.topk.config, weights: files.topk.weights }).adapter;
  const parity = await parityTable(reloaded, base, candidates(tfBackend));
  const x = probeInput(DEMO_MODEL.hidden);
  const modelParity = await modelParityTable({ adapter: reloaded, base, x, dir: out }, modelCandidates(tfBackend));
  const fresh = demoBase();
  const vbReloaded = loadVBLoRA(fresh.model, reloaded, toyOptions(fresh));
  const outputErr = Math.max(
    ...batches
      .slice(0, 2)
      .map((b) => tf.tidy(() => tf.max(tf.abs(tf.sub(vbReloaded.predict(b.x), vb.model.predict(b.x)))).dataSync()[0]!)),
  );
  io.out(`\n${parityText(parity, modelParity, x.shape)}`);
  io.out(`  model output, top-k file vs trained model (tfjs ${tfBackend}): max abs ${outputErr.toExponential(2)}\n`);

  const text = await tinyLlamaText(out);
  io.out(`\n${tinyLlamaTextLines(text)}`);

  const html = reportHtml({
    vbLoss: vb.lossHistory,
    loraLoss: lora.lossHistory,
    loraEqLoss: loraEq.lossHistory,
    loraEqRank: eqRank,
    comparison: cmp,
    text,
    sizes,
    parity,
    modelParity,
    probeShape: x.shape,
    usage: bankUsage(full),
    facts: [
      [
        'model',
        `ToyLlama, hidden ${DEMO_MODEL.hidden}, ${DEMO_MODEL.layers} layers; teacher = base + hidden rank-2 change`,
      ],
      [
        'training',
        `${steps} AdamW steps on tfjs ${tfBackend}; VB-LoRA ${(vb.ms / 1000).toFixed(1)} s, LoRA ${(lora.ms / 1000).toFixed(1)} s`,
      ],
      [
        'final loss',
        `base ${baseLoss.toExponential(3)}, VB-LoRA ${vbLoss.toExponential(3)}, LoRA r ${DEMO_VBLORA.r} ${loraLoss.toExponential(3)}, LoRA r ${eqRank} (equal bytes) ${loraEqLoss.toExponential(3)}`,
      ],
      ['top-k reload', `model output max abs error ${outputErr.toExponential(2)} vs the trained model`],
    ],
  });
  await writeFileAtomic(join(out, 'report.html'), html);

  vbReloaded.dispose();
  fresh.model.dispose();
  vb.model.dispose();
  vb.base.model.dispose();
  lora.model.dispose();
  lora.base.model.dispose();
  loraEq.model.dispose();
  loraEq.base.model.dispose();
  teacher.model.dispose();
  tf.dispose(batches.flatMap((b) => [b.x, b.y]));
  const onnxFiles = modelParity.rows.some((m) => m.label === 'onnx merge' && m.outputErr !== null)
    ? `, ${ONNX_FILES.base}, ${ONNX_FILES.merged}`
    : '';
  io.out(
    `\ndemo output: ${printable(out)} (adapter_full/, adapter_topk/, base.safetensors${onnxFiles}, ${TINY_LLAMA_OUT}/, report.html); ${tf.memory().numTensors - before} tensors left\n`,
  );
  return vbLoss < baseLoss ? 0 : 1;
}
