/**
 * Whole-model parity with PEFT: the tf.js toy models, loaded from each golden case's base.safetensors, with the
 * case's adapters loaded from PEFT's own checkpoint files, reproduce the `output.*` tensors PEFT recorded — base,
 * adapter on, disabled, merged, unmerged, merge_and_unload, reloaded from the full and the top-k checkpoint — on
 * the tf.js cpu and wasm backends, leaving no tensor behind.
 *
 * Tolerances: float32 outputs (|e| ≤ 4) are sums of many float32 products whose order differs from torch's (tf.js
 * cpu accumulates matmuls in float64 blocks, XNNPACK in its own order) and whose top-k weights carry torch's
 * vectorised-exp ulps: |a − e| ≤ 1.2e-6, twice the largest error measured (6.0e-7, i.e. ≤ 2.5 ulps at 2–4). bf16
 * outputs are emulated bit for bit; one bf16 ulp (rtol 2⁻⁸) is allowed where a last-bit float32 difference could
 * flip the final rounding (measured: 0 everywhere). Set VBLORA_MEASURE=1 to print the measured errors.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { WHOLE_MODEL_TOLERANCES } from '@vblora/conformance';
import { loadVBLoRA, toyOptions } from '@vblora/tfjs';
import { expectClose } from '../helpers/assert.js';
import { goldenTensors, need, PEFT_GOLDEN_CASES, type PeftGoldenCase } from '../helpers/golden.js';
import { goldenAdapter, goldenInput, goldenToy, hostOutput } from '../helpers/toy.js';
import { TF_BACKENDS, useTfBackend } from '../helpers/tf-setup.js';

const { tfjsF32: F32_OUT, tfjsBf16: BF16_OUT } = WHOLE_MODEL_TOLERANCES;

const measured: Record<string, number> = {};
afterAll(() => {
  if (process.env['VBLORA_MEASURE'] === '1') process.stdout.write(`${JSON.stringify(measured, null, 1)}\n`);
});

// The edge case's tied logits rows make torch's top-k choice (implementation-defined, SPEC §4.5) part of every
// adapter output, and its top-k file reloads as NaN in PEFT: only base and disabled outputs are comparable there.
const comparable = (c: PeftGoldenCase, key: string): boolean =>
  !c.startsWith('edge') || key === 'output.base' || key === 'output.disabled';

describe.each(TF_BACKENDS)('tf.js %s: whole-model outputs equal PEFT golden outputs', (tfBackend) => {
  describe.each(PEFT_GOLDEN_CASES)('%s', (c) => {
    const expected = goldenTensors(c, 'expected.safetensors');
    /** Compares (and disposes) one model output with PEFT's tensor `key`. */
    const check = (y: tf.Tensor, key: string, dtype: 'f32' | 'bf16' | 'f16'): void => {
      const got = hostOutput(y, dtype);
      if (!comparable(c, key)) return;
      const label = `${tfBackend} ${c} ${key}`;
      const r = expectClose(got, need(expected, key), dtype === 'f32' ? F32_OUT : BF16_OUT, label);
      measured[label] = Math.max(measured[label] ?? 0, r.maxAbs);
    };

    it('full checkpoint: base, adapter, disabled, merged, unmerged, merge_and_unload', async () => {
      await useTfBackend(tfBackend);
      const before = tf.memory().numTensors;
      const toy = goldenToy(c);
      const x = goldenInput(c);
      check(toy.model.predict(x) as tf.Tensor, 'output.base', toy.dtype);
      const vb = loadVBLoRA(toy.model, await goldenAdapter(c, 'adapter_full'), toyOptions(toy));
      check(vb.predict(x), 'output.adapter', toy.dtype);
      check(vb.predict(x), 'output.reload_full.from_pretrained', toy.dtype);
      vb.disableAdapters();
      check(vb.predict(x), 'output.disabled', toy.dtype);
      vb.enableAdapters();
      await vb.merge();
      check(vb.predict(x), 'output.merged', toy.dtype);
      await vb.unmerge();
      check(vb.predict(x), 'output.unmerged', toy.dtype);
      const plain = await vb.mergeAndUnload();
      check(plain.predict(x) as tf.Tensor, 'output.merge_and_unload', toy.dtype);
      plain.dispose();
      x.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });

    it('top-k checkpoint: reloaded outputs', async () => {
      await useTfBackend(tfBackend);
      const before = tf.memory().numTensors;
      const toy = goldenToy(c);
      const x = goldenInput(c);
      const vb = loadVBLoRA(toy.model, await goldenAdapter(c, 'adapter_topk'), toyOptions(toy));
      const y = vb.predict(x);
      expect(y.dataSync().every(Number.isFinite)).toBe(true); // never PEFT's NaN (SPEC §5.4)
      check(y, 'output.reload_topk.from_pretrained', toy.dtype);
      vb.dispose();
      toy.model.dispose();
      x.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});
