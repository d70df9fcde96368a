import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  adapterFromFiles,
  adapterToFiles,
  BANK_KEY,
  composeAdapter,
  createConfig,
  createRng,
  mergeIntoStateDict,
  NumericalError,
  readSafetensors,
  tensor,
  toFullAdapter,
  toTopkAdapter,
  writeSafetensors,
  type AdapterModule,
  type HostTensor,
  type VBLoRAAdapter,
} from '@vblora/core';
import { goldenPath } from '../helpers/golden-paths.js';
import { fuzzRuns, fuzzTimeout, Outcomes, reportFuzz } from './helpers/budget.js';
import { GOLDEN_ADAPTERS } from './helpers/golden-adapters.js';
import { peftNaNRows } from './helpers/peft-reload.js';

const RUNS = fuzzRuns(150);
const SEED = 0x7a_4e5;
const golden = (id: string) => GOLDEN_ADAPTERS.find((g) => g.id === id)!;

describe('safe merge rejects non-finite results, naming the module', () => {
  const g = golden('llama_f32_vl16_nv64_top2/adapter_topk');
  const base = readSafetensors(
    new Uint8Array(readFileSync(goldenPath('llama_f32_vl16_nv64_top2', 'base.safetensors'))),
  ).tensors;

  function withBank(value: number): VBLoRAAdapter {
    const file = readSafetensors(g.weights, { copy: true });
    const bank = file.tensors.get(BANK_KEY)!;
    (bank.data as Float32Array).fill(value, 0, 16 * 64); // every vector: every module is hit
    return adapterFromFiles({ config: g.config, weights: writeSafetensors(file.tensors) }).adapter;
  }

  for (const bad of [Number.POSITIVE_INFINITY, Number.NaN, 3e38]) {
    it(`a bank of ${bad}: safe → NumericalError naming the first module; unsafe → merged, like PEFT`, async () => {
      const adapter = withBank(bad);
      const first = [...adapter.modules.keys()][0]!;
      const err = await mergeIntoStateDict(adapter, base, { safe: true }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(NumericalError);
      expect((err as NumericalError).where).toBe(first);
      expect((err as Error).message).toContain(first);
      const merged = await mergeIntoStateDict(adapter, base);
      expect(merged.get(`${first}.weight`)!.data.some((v) => !Number.isFinite(v))).toBe(true);
    });
  }

  it('a finite adapter merges in safe mode', async () => {
    const { adapter } = adapterFromFiles(g);
    const merged = await mergeIntoStateDict(adapter, base, { safe: true });
    expect(merged.size).toBe(base.size);
  });
});

describe('non-finite adapter tensors are reported at load with their location', () => {
  const g = golden('llama_f32_vl16_nv64_top2/adapter_full');
  const key = 'base_model.model.model.layers.1.mlp.down_proj.vblora_logits_B';
  function load(edit: (t: Map<string, HostTensor>) => void): readonly string[] {
    const file = readSafetensors(g.weights, { copy: true });
    edit(file.tensors);
    return adapterFromFiles({ config: g.config, weights: writeSafetensors(file.tensors) }).warnings;
  }
  const set = (t: Map<string, HostTensor>, k: string, at: number, v: number): void =>
    void ((t.get(k)!.data as Float32Array)[at] = v);

  it('NaN and ±Inf in the bank, NaN and +Inf in logits: value, tensor and index', () => {
    const lb = readSafetensors(g.weights).tensors.get(key)!.shape; // (out/vl, r, nv)
    expect(load((t) => set(t, BANK_KEY, 64 * 16 - 1, Number.NEGATIVE_INFINITY))).toContain(
      `non-finite value -Infinity in ${BANK_KEY} at (63, 15)`,
    );
    const flat = (1 * lb[1]! + 2) * lb[2]! + 5; // (1, 2, 5)
    expect(load((t) => set(t, key, flat, Number.NaN))).toContain(
      `non-finite value NaN in ${key.slice(17)} at (1, 2, 5)`,
    );
    expect(load((t) => set(t, key, 0, Number.POSITIVE_INFINITY))).toContain(
      `non-finite value Infinity in ${key.slice(17)} at (0, 0, 0)`,
    );
  });

  it('−inf logits are legal, but a row of nothing else is reported (it composes to NaN)', async () => {
    const nv = 64;
    expect(load((t) => set(t, key, 3, Number.NEGATIVE_INFINITY))).toEqual([]);
    const warnings = load((t) => (t.get(key)!.data as Float32Array).fill(Number.NEGATIVE_INFINITY, nv * 5, nv * 6));
    expect(warnings).toEqual([`${key.slice(17)} row (1, 1) has no finite logit (all −inf): it composes to NaN`]);
  });
});

describe("PEFT's top-k NaN never appears in files we write", () => {
  // Wide logit spreads and the fixture's own bad row make PEFT's case (Σ stored weights > 1 in float32) common.
  const BAD_ROW = [14.38256549835205, 5.730785369873047, -14.738536834716797];
  const arb = fc.record({
    nv: fc.integer({ min: 3, max: 300 }),
    kPick: fc.nat(6),
    rows: fc.integer({ min: 1, max: 24 }),
    spread: fc.constantFrom(1, 8, 20, 40),
    badRows: fc.boolean(),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  });

  it(
    `toTopkAdapter + adapterToFiles: every written row reloads finite in PEFT (${RUNS} runs, seed ${SEED})`,
    async () => {
      let repaired = 0;
      const outcomes = new Outcomes();
      const t0 = performance.now();
      await fc.assert(
        fc.asyncProperty(arb, async ({ nv, kPick, rows, spread, badRows, seed }) => {
          const k = Math.min(nv, 3 + kPick);
          const rng = createRng(seed);
          const logits = Float32Array.from({ length: rows * nv }, () => rng.normal() * spread);
          if (badRows) {
            for (let r = 0; r < rows; r += 2) {
              logits.fill(-30, r * nv, (r + 1) * nv);
              BAD_ROW.forEach((v, j) => (logits[r * nv + ((j * 7 + r) % nv)] = v));
            }
          }
          const m: AdapterModule = {
            path: 'm',
            inFeatures: rows * 2,
            outFeatures: 2,
            a: { kind: 'logits', logits: tensor('f32', [1, rows, nv], logits) },
            b: { kind: 'logits', logits: tensor('f32', [1, 1, nv], logits.slice(0, nv)) },
          };
          const config = createConfig({ r: 1, num_vectors: nv, vector_length: 2, topk: k, target_modules: ['m'] });
          const bank = tensor(
            'f32',
            [nv, 2],
            Float32Array.from({ length: nv * 2 }, () => rng.normal()),
          );
          const adapter: VBLoRAAdapter = {
            name: 'default',
            config,
            bank,
            modules: new Map([['m', m]]),
            extraTensors: new Map(),
            metadata: null,
          };
          const { adapter: topk, repairs } = toTopkAdapter(adapter);
          repaired += repairs.length;
          outcomes.add(
            repairs.length > 0 ? 'PEFT would have reloaded a row as NaN: lowered, file safe' : 'no row needed lowering',
          );
          const files = adapterToFiles(topk);
          expect(peftNaNRows(files.weights)).toEqual([]);
          const back = adapterFromFiles(files).adapter;
          for (const { A, B } of (await composeAdapter(back)).values()) {
            expect(A.data.every(Number.isFinite) && B.data.every(Number.isFinite)).toBe(true);
          }
        }),
        { seed: SEED, numRuns: RUNS },
      );
      expect(repaired).toBeGreaterThan(0); // PEFT's NaN case really occurred and was repaired
      reportFuzz('top-k files we write: no PEFT NaN rows', SEED, RUNS, outcomes, performance.now() - t0);
    },
    fuzzTimeout(RUNS, 5),
  );

  it('the edge fixture: PEFT’s own file has the NaN row; what we write from its logits does not, and we read it finite', async () => {
    const full = golden('edge_topk3_ties_zero_nan/adapter_full');
    const topk = golden('edge_topk3_ties_zero_nan/adapter_topk');
    expect(peftNaNRows(topk.weights).length).toBeGreaterThan(0);
    const { adapter: fromTopk } = adapterFromFiles(topk);
    for (const { A, B } of (await composeAdapter(fromTopk)).values()) {
      expect(A.data.every(Number.isFinite) && B.data.every(Number.isFinite)).toBe(true);
    }
    expect(toFullAdapter(fromTopk).adapter.modules.size).toBeGreaterThan(0);
    const { adapter: ours, repairs } = toTopkAdapter(adapterFromFiles(full).adapter);
    expect(repairs.length).toBeGreaterThan(0);
    expect(peftNaNRows(adapterToFiles(ours).weights)).toEqual([]);
  });
});
