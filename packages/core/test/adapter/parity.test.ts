import { describe, expect, it } from 'vitest';
import {
  adapterToFiles,
  composeAdapter,
  compareTensors,
  formatMismatch,
  mergeIntoStateDict,
  readSafetensors,
  toFullAdapter,
  toTopkAdapter,
  type HostTensor,
  type Tolerance,
} from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { readGoldenSummary, readGoldenTensors } from '../helpers/golden-files.js';
import { GOLDEN_CASES, goldenPath, type GoldenCase } from '../helpers/golden-paths.js';

// float32 results of order 0.1–10 computed with a different summation order than torch's BLAS:
// a few ulps, i.e. ≤ 1e-6 absolute plus 1e-5 relative (docs/numerics.md).
const F32: Tolerance = { atol: 1e-6, rtol: 1e-5 };
// bf16 merged weights: one bf16 ulp (2^-8 relative) where the float32 sum sits on a rounding boundary.
const BF16_MERGED: Tolerance = { atol: 0, rtol: 2 ** -8 };

function expectClose(
  actual: HostTensor | undefined,
  expected: HostTensor | undefined,
  tol: Tolerance,
  label: string,
): number {
  expect(actual, `${label}: missing actual`).toBeDefined();
  expect(expected, `${label}: missing expected`).toBeDefined();
  const r = compareTensors(actual!, expected!, tol);
  expect(r.ok, formatMismatch(r, label)).toBe(true);
  return r.maxAbs;
}

const load = async (c: GoldenCase, flavour: 'adapter_full' | 'adapter_topk') =>
  (await readAdapterDir(goldenPath(c, flavour))).adapter;

describe('composeAdapter matches PEFT (A, B from both checkpoint flavours)', () => {
  for (const c of GOLDEN_CASES) {
    it(c, async () => {
      const expected = readGoldenTensors(c, 'expected.safetensors');
      const tied = readGoldenSummary(c).rows_with_tied_topk_logits ?? {};
      const full = await composeAdapter(await load(c, 'adapter_full'));
      const topk = await composeAdapter(await load(c, 'adapter_topk'));
      for (const [m, pair] of full) {
        // rows with tied logits: torch's pick among equals is implementation-defined (conformance compares them by rule)
        if (Object.keys(tied).length === 0) {
          expectClose(pair.A, expected.get(`layer.${m}.A`), F32, `${c} ${m} A`);
          expectClose(pair.B, expected.get(`layer.${m}.B`), F32, `${c} ${m} B`);
        }
      }
      for (const [m, pair] of topk) {
        const eA = expected.get(`layer.${m}.topk_reload.A`)!;
        const hasNaN = Array.from(eA.data as Float32Array).some(Number.isNaN);
        expect(Array.from(pair.A.data).some(Number.isNaN), `${m}: our top-k reload never has NaN`).toBe(false);
        if (hasNaN) continue; // PEFT's NaN bug (SPEC §5.4): no finite value to compare with
        expectClose(pair.A, eA, F32, `${c} ${m} topk A`);
        expectClose(pair.B, expected.get(`layer.${m}.topk_reload.B`), F32, `${c} ${m} topk B`);
      }
    });
  }

  it('edge_topk3_ties_zero_nan: PEFT reloads proj as NaN, we reload finite values', async () => {
    const expected = readGoldenTensors('edge_topk3_ties_zero_nan', 'expected.safetensors');
    expect(Array.from(expected.get('layer.proj.topk_reload.A')!.data as Float32Array).some(Number.isNaN)).toBe(true);
    const pair = (await composeAdapter(await load('edge_topk3_ties_zero_nan', 'adapter_topk'))).get('proj')!;
    expect(Array.from(pair.A.data).every(Number.isFinite)).toBe(true);
    expect(Array.from(pair.B.data).every(Number.isFinite)).toBe(true);
  });
});

describe('mergeIntoStateDict matches PEFT merged weights (f32 and bf16)', () => {
  for (const c of GOLDEN_CASES) {
    it(c, async () => {
      const expected = readGoldenTensors(c, 'expected.safetensors');
      const base = readGoldenTensors(c, 'base.safetensors');
      const adapter = await load(c, 'adapter_full');
      const merged = await mergeIntoStateDict(adapter, base);
      const tied = Object.keys(readGoldenSummary(c).rows_with_tied_topk_logits ?? {}).length > 0;
      expect([...merged.keys()]).toEqual([...base.keys()]);
      for (const [key, t] of merged) expect(t.dtype, key).toBe(base.get(key)!.dtype);
      // with tied logits torch's pick among equals is implementation-defined: compared by rule in conformance
      for (const m of tied ? [] : adapter.modules.keys()) {
        const e = expected.get(`layer.${m}.merged_weight`)!;
        const tol = e.dtype === 'bf16' ? BF16_MERGED : F32;
        expectClose(merged.get(`${m}.weight`), e, tol, `${c} ${m} merged`);
      }
      // trained biases / modules_to_save copies replace the base tensors
      for (const [key, t] of adapter.extraTensors) {
        const target = key.replace('base_model.model.', '').replace('.base_layer.', '.');
        expect(merged.get(target), target).toBe(t);
      }
    });
  }
});

describe('flavour conversion', () => {
  for (const c of GOLDEN_CASES) {
    it(`${c}: full → top-k gives PEFT's top-k file (indices exact, weights within 2 ulps)`, async () => {
      const { adapter, repairs } = toTopkAdapter(await load(c, 'adapter_full'));
      const ours = adapterToFiles(adapter);
      const peftConfig = await import('node:fs').then((fs) =>
        fs.readFileSync(goldenPath(c, 'adapter_topk', 'adapter_config.json'), 'utf8'),
      );
      expect(ours.config).toBe(peftConfig);
      const theirs = readGoldenTensors(c, 'adapter_topk', 'adapter_model.safetensors');
      const mine = readSafetensors(ours.weights).tensors;
      expect([...mine.keys()]).toEqual([...theirs.keys()]);
      const tied = readGoldenSummary(c).rows_with_tied_topk_logits ?? {};
      for (const [key, t] of theirs) {
        const a = mine.get(key)!;
        expect(a.dtype, key).toBe(t.dtype);
        if (Object.keys(tied).length > 0 && key.includes('_topk_')) continue; // tie order differs by rule
        if (key.endsWith('_topk_indices'))
          expect(Array.from(a.data as Uint8Array), key).toEqual(Array.from(t.data as Uint8Array));
        else if (key.endsWith('_topk_weights')) expectClose(a, t, { atol: 0, rtol: 2 * 2 ** -23 }, key);
        else expect(a.data, key).toEqual(t.data);
      }
      if (c !== 'edge_topk3_ties_zero_nan') expect(repairs).toEqual([]);
    });
  }

  it('edge_topk3_ties_zero_nan: the NaN row is repaired when writing top-k', async () => {
    const { repairs } = toTopkAdapter(await load('edge_topk3_ties_zero_nan', 'adapter_full'));
    expect(repairs.length).toBeGreaterThan(0);
  });

  for (const c of GOLDEN_CASES) {
    it(`${c}: top-k → full gives PEFT's reloaded logits (exact, log within 1 ulp, NaN row clamped)`, async () => {
      const { adapter, repairs } = toFullAdapter(await load(c, 'adapter_topk'));
      const expected = readGoldenTensors(c, 'expected.safetensors');
      for (const m of adapter.modules.values()) {
        for (const [f, factor] of [
          ['A', m.a],
          ['B', m.b],
        ] as const) {
          if (factor.kind !== 'logits') throw new Error('expected logits');
          const e = expected.get(`layer.${m.path}.topk_reload.logits_${f}`)!;
          const ed = e.data as Float32Array;
          const ad = factor.logits.data as Float32Array;
          for (let i = 0; i < ed.length; i++) {
            if (Number.isNaN(ed[i]!)) continue; // PEFT's NaN row: ours is finite or −inf by design
            if (ed[i] === -Infinity) expect(ad[i], `${m.path} ${f} ${i}`).toBe(-Infinity);
            else
              expect(Math.abs(ad[i]! - ed[i]!), `${m.path} ${f} ${i}`).toBeLessThanOrEqual(Math.abs(ed[i]!) * 2 ** -23);
          }
          expect(Array.from(ad).some(Number.isNaN)).toBe(false);
        }
      }
      expect(repairs.length > 0).toBe(c === 'edge_topk3_ties_zero_nan');
    });
  }
});

describe('top-k → top-k conversion never passes PEFT’s NaN rows through', () => {
  it('edge_topk3_ties_zero_nan/adapter_topk is re-stored so PEFT reloads it without NaN', async () => {
    const { adapter, repairs } = toTopkAdapter(await load('edge_topk3_ties_zero_nan', 'adapter_topk'));
    expect(repairs.length).toBeGreaterThan(0);
    const written = readSafetensors(adapterToFiles(adapter).weights).tensors;
    const w = written.get('base_model.model.proj.vblora_logits_A_topk_weights')!.data as Float32Array;
    // PEFT's reload: 1 − Σ(stored) in float32 must not be negative in any row (k − 1 = 2: one summation order)
    for (let row = 0; row < w.length / 2; row++) {
      const sum = Math.fround(w[2 * row]! + w[2 * row + 1]!);
      expect(Math.fround(1 - sum), `row ${row}`).toBeGreaterThanOrEqual(0);
    }
  });
});
