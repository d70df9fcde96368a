/**
 * Gradient parity: the gradients the training loop takes (tf.js tape through the whole wrapped ToyLlama: top-k
 * chosen outside the tape, gather + softmax inside) equal core's float64 reference backward (`composeBackward`)
 * fed with dL/dA and dL/dB of the same loss, for every logits tensor and the shared bank, on cpu and wasm.
 *
 * Tolerance: the reference rounds once from float64; the tape works in float32 through softmax Jacobians and
 * sums over rows and modules. Differences must stay within 2⁻¹⁹ of the largest gradient of each tensor plus 10⁻⁵
 * relative (measured 1.8·10⁻⁷ ≈ 2⁻²² of the largest gradient on cpu and wasm; VBLORA_MEASURE=1 prints it).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { referenceBackend, tensor, type HostTensor, type KernelSet } from '@vblora/core';
import { applyVBLoRA, buildToyLlama, lossAndGradients, mseLoss, toyOptions } from '@vblora/tfjs';
import { expectClose } from '../helpers/assert.js';
import { TF_BACKENDS, useTfBackend } from '../helpers/tf-setup.js';

const ref = referenceBackend.kernels as KernelSet;
const host = (t: tf.Tensor): HostTensor<'f32'> => tensor('f32', t.shape, Float32Array.from(t.dataSync()));
const maxAbs = (t: HostTensor<'f32'>): number => t.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe.each(TF_BACKENDS)('tf.js %s: training gradients equal the reference backward', (tfBackend) => {
  it('ToyLlama with VB-LoRA on q, v, down (k = 3)', async () => {
    await useTfBackend(tfBackend);
    const before = tf.memory().numTensors;
    const toy = buildToyLlama({ hidden: 32, intermediate: 64, layers: 1, nOut: 16, seed: 3 });
    const vb = applyVBLoRA(
      toy.model,
      {
        r: 2,
        num_vectors: 24,
        vector_length: 8,
        topk: 3,
        target_modules: ['q_proj', 'v_proj', 'down_proj'],
        init_logits_std: 1,
        init_vector_bank_bound: 0.5,
      },
      { ...toyOptions(toy), seed: 5 },
    );
    const batch = {
      x: tf.randomNormal([2, 4, 32], 0, 1, 'float32', 7),
      y: tf.randomNormal([2, 4, 16], 0, 1, 'float32', 8),
    };
    const w = vb.adapter('default');
    const vars = vb.trainableVariables();
    vb.train();
    const { value, grads } = lossAndGradients(vb, batch, [...vars.logits, ...vars.bank]);
    // dL/dA and dL/dB of the same loss, with A and B fed in as tape inputs
    const paths = [...w.modules.keys()];
    const pairs = paths.map((p) => w.compose(p));
    const flat = pairs.flatMap((p) => [p.A, p.B]);
    const gAB = tf.grads((...ab: tf.Tensor[]) => {
      const given = new Map(
        paths.map((p, i) => [`default/${p}`, { A: ab[2 * i] as tf.Tensor2D, B: ab[2 * i + 1] as tf.Tensor2D }]),
      );
      return vb.withLowRank(given, () => mseLoss(toy.model.apply(batch.x) as tf.Tensor, batch.y));
    })(flat);
    vb.eval();
    let bankRef: Float32Array | null = null;
    let worst = 0;
    for (const [i, path] of paths.entries()) {
      const m = w.module(path);
      if (m.a.kind !== 'logits' || m.b.kind !== 'logits') throw new Error('expected logits');
      const want = await ref.composeBackward({
        logitsA: host(m.a.logits),
        logitsB: host(m.b.logits),
        bank: host(w.bank),
        k: 3,
        gradA: host(gAB[2 * i]!),
        gradB: host(gAB[2 * i + 1]!),
      });
      for (const [variable, expected] of [
        [m.a.logits, want.gradLogitsA],
        [m.b.logits, want.gradLogitsB],
      ] as const) {
        const r = expectClose(
          host(grads[variable.name]!),
          expected,
          { atol: 2 ** -19 * maxAbs(expected), rtol: 1e-5 },
          `${path} logits`,
        );
        worst = Math.max(worst, r.maxAbs / maxAbs(expected));
      }
      bankRef =
        bankRef === null ? Float32Array.from(want.gradBank.data) : bankRef.map((v, j) => v + want.gradBank.data[j]!);
    }
    const bankWant = tensor('f32', w.bank.shape, bankRef!);
    const rb = expectClose(
      host(grads[w.bank.name]!),
      bankWant,
      { atol: 2 ** -19 * maxAbs(bankWant), rtol: 1e-5 },
      'bank',
    );
    worst = Math.max(worst, rb.maxAbs / maxAbs(bankWant));
    if (process.env['VBLORA_MEASURE'] === '1')
      process.stdout.write(`${tfBackend}: max error / max gradient = ${worst.toExponential(2)}\n`);
    expect(maxAbs(bankWant)).toBeGreaterThan(0);
    tf.dispose([value, ...Object.values(grads), ...flat, ...gAB, batch.x, batch.y]);
    vb.dispose();
    toy.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
