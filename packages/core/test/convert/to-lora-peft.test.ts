/**
 * toLoraAdapter against PEFT's own `save_as_lora` (commit 5d602fd) on every golden VB-LoRA case, both checkpoint
 * flavours, at every rank the generator ran (packages/conformance/fixtures/peft-lora/cases.json).
 *
 * What is compared, and why:
 * - adapter_config.json: byte-equal to PEFT's, except that `target_modules` (a Python set PEFT writes in hash
 *   order) is compared as a set; per-module ranks (`rank_pattern`) are therefore compared exactly.
 * - safetensors: the same keys, dtypes and shapes; `modules_to_save` copies bit-exact.
 * - factors: PEFT always runs torch.linalg.svd, whose singular vectors have arbitrary signs (and rotations within
 *   repeated singular values), so its A and B cannot be compared entry by entry. What is invariant is the product
 *   B·A (the weight update) and the singular values, compared within a float32 error bound: PEFT forms the
 *   delta in float32 (entry error ≤ r·u·‖b_i‖·‖a_j‖) and runs a backward-stable float32 SVD (error ≤ c·u·σ1),
 *   u = 2⁻²⁴. We allow 8·r·u·σ1, times (1 + 2σ1/(σk − σk+1)) when the rank k truncates (the best rank-k
 *   approximation moves by up to that factor times the perturbation). Measured worst: 4.6·u·σ1 (after the factor).
 * - where the rank keeps the whole product (k ≥ r) our factors are VB-LoRA's composed A and B themselves: checked
 *   bit-exact against composeAdapter (which matches PEFT's own A and B within a few float32 ulps: adapter/parity.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  composeAdapter,
  serializeLoraConfig,
  toLoraAdapter,
  type HostTensor,
  type JsonObject,
  type LoraCheckpoint,
} from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { GOLDEN_DIR, LORA_DIR, loraRuns, maxAbsDiff, product, readLoraTensors, type LoraRun } from './lora-fixtures.js';

const U = 2 ** -24;
// edge_topk3_ties_zero_nan has rows of exactly tied logits; its golden README says torch's pick among ties is
// implementation-defined, so its A/B (and every product) may legitimately differ from PEFT's: values are not
// compared there, config, keys, shapes and ranks are.
const TIED_CASE = 'edge_topk3_ties_zero_nan';

const runs = loraRuns();

async function convert(run: LoraRun): Promise<LoraCheckpoint> {
  const { adapter } = await readAdapterDir(join(LORA_DIR, run.source));
  return toLoraAdapter(adapter, run.rank_is_float ? { energy: run.rank } : { rank: run.rank });
}

/** Our config text with target_modules put in PEFT's (set) order, after checking they are the same set. */
function configInPeftOrder(ours: JsonObject, peftText: string): string {
  const peft = JSON.parse(peftText) as JsonObject;
  const mine = ours.target_modules;
  const theirs = peft.target_modules;
  if (!Array.isArray(mine) || !Array.isArray(theirs)) return serializeLoraConfig(ours);
  expect(new Set(mine)).toEqual(new Set(theirs));
  expect(mine).toHaveLength(theirs.length);
  return serializeLoraConfig({ ...ours, target_modules: theirs });
}

function shapeOf(t: HostTensor): string {
  return `${t.dtype} [${t.shape.join(', ')}]`;
}

describe('toLoraAdapter vs PEFT save_as_lora', () => {
  it('has generated runs for every golden case (and the bias-free bf16 layer-1 variant) and flavour', () => {
    expect(new Set(runs.map((r) => `${r.case}/${r.flavour}`)).size).toBe(12);
    expect(runs.filter((r) => r.folder !== undefined).length).toBeGreaterThanOrEqual(40);
  });

  for (const run of runs.filter((r) => r.error !== undefined)) {
    const id = `${run.case}/${run.flavour}/${run.label}`;
    if (run.error!.type === '_LinAlgError') {
      // PEFT reloads this top-k checkpoint with NaN rows and its SVD fails; our loader repairs those rows (clamped
      // restored weight, reported by convert --topk-only and compose), so the conversion succeeds instead.
      it(`${id}: PEFT's SVD fails on its NaN delta; ours converts the repaired adapter`, async () => {
        expect(run.error!.message).toContain('non-finite');
        const lora = await convert(run);
        for (const t of lora.tensors.values()) expect((t.data as Float32Array).every(Number.isFinite)).toBe(true);
        expect(lora.repairs.length, 'the rows PEFT reloads as NaN are reported').toBeGreaterThan(0);
        expect(lora.repairs.every((r) => r.includes('PEFT would reload this row as NaN'))).toBe(true);
      });
      continue;
    }
    it(`${id}: refused with PEFT's message`, async () => {
      const err = await convert(run).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      // our rank-too-large message adds the module after PEFT's text
      expect((err as Error).message.startsWith(run.error!.message)).toBe(true);
    });
  }

  for (const run of runs.filter((r) => r.folder !== undefined)) {
    const id = `${run.case}/${run.flavour}/${run.label}`;
    it(`${id}: config, keys, dtypes, shapes, ranks and B·A as PEFT`, async () => {
      const lora = await convert(run);
      expect(lora.repairs).toEqual([]);
      const peftConfig = readFileSync(join(LORA_DIR, run.folder!, 'adapter_config.json'), 'utf8');
      expect(configInPeftOrder(lora.config, peftConfig)).toBe(peftConfig);

      const peft = readLoraTensors(run.folder!, 'adapter_model.safetensors');
      expect([...lora.tensors.keys()].sort()).toEqual([...peft.keys()].sort());
      for (const [key, t] of peft) expect(shapeOf(lora.tensors.get(key)!), key).toBe(shapeOf(t));
      for (const [key, t] of peft) {
        if (!key.endsWith('.lora_A.weight') && !key.endsWith('.lora_B.weight')) {
          expect(lora.tensors.get(key)!.data, `${key} (modules_to_save copy) bit-exact`).toEqual(t.data);
        }
      }
      if (run.case === TIED_CASE) return;

      const sv = readLoraTensors(run.case, run.flavour, 'singular_values.safetensors');
      for (const [path, k] of lora.ranks) {
        const S = sv.get(path)!.data as Float32Array; // PEFT's float32 singular values of its delta
        const r = Math.min(4, S.length);
        const gap = k < r ? 1 + (2 * S[0]!) / (S[k - 1]! - S[k]!) : 1;
        const tol = 8 * r * U * S[0]! * gap;
        const key = `base_model.model.${path}`;
        const ours = product(lora.tensors.get(`${key}.lora_B.weight`)!, lora.tensors.get(`${key}.lora_A.weight`)!);
        const theirs = product(peft.get(`${key}.lora_B.weight`)!, peft.get(`${key}.lora_A.weight`)!);
        expect(
          maxAbsDiff(ours, theirs),
          `${path} B·A (rank ${k}), tolerance ${tol.toExponential(2)}`,
        ).toBeLessThanOrEqual(tol);
        const ourS = lora.singularValues.get(path);
        if (ourS !== undefined) {
          const diff = maxAbsDiff(ourS, S.subarray(0, ourS.length));
          expect(
            diff,
            `${path} singular values, tolerance ${(8 * r * U * S[0]!).toExponential(2)}`,
          ).toBeLessThanOrEqual(8 * r * U * S[0]!);
        }
      }
    });
  }
});

describe('toLoraAdapter keeps VB-LoRA’s own factors when the rank keeps the whole product', () => {
  for (const c of ['llama_f32_vl16_nv64_top2', 'gpt2_conv1d_fan_in_fan_out_f32', 'llama_f32_vl32_nv300_top3_regex']) {
    for (const flavour of ['full', 'topk']) {
      it(`${c}/${flavour}: rank r and rank r + 2 hold compose's A and B bit-exact (zero-padded above r)`, async () => {
        const { adapter } = await readAdapterDir(join(GOLDEN_DIR, c, `adapter_${flavour}`));
        const pairs = await composeAdapter(adapter);
        const r = adapter.config.r;
        for (const rank of [r, r + 2]) {
          const lora = await toLoraAdapter(adapter, { rank });
          for (const [path, { A, B }] of pairs) {
            const key = `base_model.model.${path}`;
            const la = lora.tensors.get(`${key}.lora_A.weight`)!.data as Float32Array;
            const lb = lora.tensors.get(`${key}.lora_B.weight`)!.data as Float32Array;
            expect(la.subarray(0, A.data.length)).toEqual(A.data);
            expect(la.subarray(A.data.length).every((v) => v === 0)).toBe(true);
            const out = B.shape[0]!;
            for (let i = 0; i < out; i++) {
              expect(lb.subarray(i * rank, i * rank + r)).toEqual(B.data.subarray(i * r, (i + 1) * r));
              expect(lb.subarray(i * rank + r, (i + 1) * rank).every((v) => v === 0)).toBe(true);
            }
          }
        }
      });
    }
  }
});
