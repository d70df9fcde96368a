/**
 * Parity of the reference kernels with PEFT's golden tensors, for all five cases.
 *
 * Two kinds of check: kernels fed PEFT's own inputs (e.g. deltaWeight on PEFT's A and B), which are bit-exact
 * wherever no exp/log is involved, and the chained path from the checkpoint files (logits → A, B → delta, merge,
 * outputs), whose only inexactness is torch's vectorised float32 `exp` (softmax weights ≤ 2 ulps apart, SPEC §4.5).
 * Set VBLORA_MEASURE_OUT=<file> to write the measured max errors as JSON.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  adapterForward,
  composeLowRank,
  deltaWeight,
  linear,
  logitsFromTopk,
  merge,
  topkAdmixture,
  topkWeightsForSave,
  unmerge,
  type LowRankPair,
} from '../../src/kernels/index.js';
import { tensor, type HostTensor } from '../../src/tensor/index.js';
import { GOLDEN_CASES } from '../helpers/golden-paths.js';
import { EXACT, expectClose, selectRows } from './helpers/assert-close.js';
import { loadGolden, type Golden } from './helpers/golden-case.js';

// softmax weights lie in (0, 1]; one f32 ulp of x is ≤ 2^-23·|x|, so rtol 2^-22 admits 2 ulps — the largest
// difference torch's vectorised exp produced against our correctly rounded one on the fixtures.
const WEIGHTS_2ULP = { atol: 0, rtol: 2 ** -22 };
// A, B (and vectors) are Σ_j w_j·bank: |values| ≤ max|bank| = 0.1 in every fixture, where one ulp is 2^-27 ≈ 7.5e-9.
// The weight differences above move them by ≤ 1.5e-8 (measured); 4 ulps at 0.1 = 3e-8.
const AB_TOL = { atol: 3e-8, rtol: 0 };
// ΔW = Σ_r B·A with |B·A| ≲ 0.01·r: A/B moved by ≤ 1.5e-8 move ΔW by ≤ ~4e-9 (measured 2.8e-9); 2^-27 ≈ 7.5e-9.
const DELTA_TOL = { atol: 7.5e-9, rtol: 0 };
// Layer outputs are O(1) (ulp 1.2e-7): an A/B difference of 1.5e-8 reaches them through Σ|x|·|A|·|B|; measured
// ≤ 1.2e-7 = one ulp at 1; allow 2.4e-7 (2 ulps at 1).
const OUT_TOL = { atol: 2.4e-7, rtol: 0 };
// torch.log may differ from a correctly rounded log by one ulp (SPEC §5.4); logits from a top-k file are log w ∈
// [-17, 0], and one ulp of x is ≤ 2^-23·|x|. NaN and ±inf must match exactly.
const LOG_1ULP = { atol: 0, rtol: 2 ** -23 };

const measured: Record<string, Record<string, number>> = {};
function record(c: string, key: string, value: number): void {
  const row = (measured[c] ??= {});
  row[key] = Math.max(row[key] ?? 0, value);
}

afterAll(() => {
  const out = process.env['VBLORA_MEASURE_OUT'];
  if (out !== undefined && out !== '') writeFileSync(out, JSON.stringify(measured, null, 2));
});

/** A/B with torch's choice in tied rows: our selection everywhere, PEFT's indices where summary.json lists a tie. */
function composeMirroringTies(g: Golden, m: string): LowRankPair {
  const k = g.config.topk;
  const form = (which: 'A' | 'B') => {
    const ours = topkAdmixture({ logits: g.logits(m, which), bank: g.bank, k });
    const torchIdx = g.layer(m, `topk_indices_${which}`);
    const tied = g.tiedRows(m, which);
    const idx = Int32Array.from(ours.indices.data, (v, i) =>
      tied.has(Math.floor(i / k)) ? Number(torchIdx.data[i]!) : v,
    );
    return { indices: tensor('i32', ours.indices.shape, idx), weights: ours.weights };
  };
  return composeLowRank({ logitsA: form('A'), logitsB: form('B'), bank: g.bank, k });
}

describe.each(GOLDEN_CASES)('golden %s', (c) => {
  const g = loadGolden(c);
  const k = g.config.topk;
  const fif = g.config.fan_in_fan_out;
  const f32 = (t: HostTensor) => t as HostTensor<'f32'>;

  it('top-k indices equal torch exactly (rows with tied logits skipped); weights within 2 ulps', () => {
    for (const m of g.modules) {
      for (const which of ['A', 'B'] as const) {
        const ours = topkAdmixture({ logits: g.logits(m, which), bank: g.bank, k });
        const tied = g.tiedRows(m, which);
        const keep = (row: number) => !tied.has(row);
        expectClose(
          selectRows(ours.indices, keep),
          selectRows(g.layer(m, `topk_indices_${which}`), keep),
          EXACT,
          `${m} indices ${which}`,
        );
        // weights of tied rows are compared too: equal logits give equal weights whichever index torch picked
        const rep = expectClose(
          ours.weights,
          g.layer(m, `topk_weights_${which}`),
          WEIGHTS_2ULP,
          `${m} weights ${which}`,
        );
        record(c, 'topk weights (ulps)', rep.maxUlps);
      }
    }
  });

  it('composeLowRank gives PEFT’s A and B (tied rows mirror torch’s choice)', () => {
    for (const m of g.modules) {
      const { A, B } = composeMirroringTies(g, m);
      record(c, 'A', expectClose(A, g.layer(m, 'A'), AB_TOL, `${m} A`).maxAbs);
      record(c, 'B', expectClose(B, g.layer(m, 'B'), AB_TOL, `${m} B`).maxAbs);
    }
  });

  it('admixture of PEFT’s own indices and weights is bit-exact', () => {
    for (const m of g.modules) {
      const form = (which: 'A' | 'B') => ({
        indices: g.layer(m, `topk_indices_${which}`),
        weights: f32(g.layer(m, `topk_weights_${which}`)),
      });
      const { A, B } = composeLowRank({ logitsA: form('A'), logitsB: form('B'), bank: g.bank, k });
      expectClose(A, g.layer(m, 'A'), EXACT, `${m} A`);
      expectClose(B, g.layer(m, 'B'), EXACT, `${m} B`);
    }
  });

  it(`deltaWeight (fan_in_fan_out ${fif}): bit-exact from PEFT’s A/B, within tolerance from the checkpoint`, () => {
    for (const m of g.modules) {
      const A = f32(g.layer(m, 'A'));
      const B = f32(g.layer(m, 'B'));
      expectClose(deltaWeight({ A, B, fanInFanOut: fif }), g.layer(m, 'delta_weight'), EXACT, `${m} delta (PEFT A/B)`);
      const ours = composeMirroringTies(g, m);
      const d = deltaWeight({ A: ours.A, B: ours.B, fanInFanOut: fif });
      record(c, 'delta', expectClose(d, g.layer(m, 'delta_weight'), DELTA_TOL, `${m} delta`).maxAbs);
    }
  });

  it('linear + adapterForward reproduce the probe outputs (disabled, adapter, merged)', () => {
    for (const m of g.modules) {
      const x = g.layer(m, 'probe_x') as HostTensor<'f32' | 'bf16'>;
      const weight = g.weight(m);
      const bias = g.bias(m);
      const base = linear({ x, weight, ...(bias ? { bias } : {}), fanInFanOut: fif });
      expectClose(base, g.layer(m, 'probe_y.disabled'), EXACT, `${m} probe_y.disabled`);
      const exactY = adapterForward({ x, baseOut: base, A: f32(g.layer(m, 'A')), B: f32(g.layer(m, 'B')) });
      expectClose(exactY, g.layer(m, 'probe_y.adapter'), EXACT, `${m} probe_y.adapter (PEFT A/B)`);
      const ours = composeMirroringTies(g, m);
      const y = adapterForward({ x, baseOut: base, A: ours.A, B: ours.B });
      record(
        c,
        'probe_y.adapter',
        expectClose(y, g.layer(m, 'probe_y.adapter'), outTol(g), `${m} probe_y.adapter`).maxAbs,
      );
      const mergedW = g.layer(m, 'merged_weight') as HostTensor<'f32' | 'bf16'>;
      const ym = linear({ x, weight: mergedW, ...(bias ? { bias } : {}), fanInFanOut: fif });
      expectClose(ym, g.layer(m, 'probe_y.merged'), EXACT, `${m} probe_y.merged`);
    }
  });

  it('merge and unmerge reproduce PEFT’s weights in the base dtype', () => {
    for (const m of g.modules) {
      const weight = g.weight(m);
      const A = f32(g.layer(m, 'A'));
      const B = f32(g.layer(m, 'B'));
      const merged = merge({ weight, A, B, fanInFanOut: fif, safe: true, module: m });
      expect(merged.dtype).toBe(weight.dtype);
      expectClose(merged, g.layer(m, 'merged_weight'), EXACT, `${m} merged (PEFT A/B)`);
      const back = unmerge({ weight: merged, A, B, fanInFanOut: fif });
      expectClose(back, g.layer(m, 'unmerged_weight'), EXACT, `${m} unmerged (PEFT A/B)`);
      const ours = composeMirroringTies(g, m);
      const merged2 = merge({ weight, A: ours.A, B: ours.B, fanInFanOut: fif });
      record(c, 'merged', expectClose(merged2, g.layer(m, 'merged_weight'), mergeTol(g, 1), `${m} merged`).maxAbs);
      const back2 = unmerge({ weight: merged2, A: ours.A, B: ours.B, fanInFanOut: fif });
      record(c, 'unmerged', expectClose(back2, g.layer(m, 'unmerged_weight'), mergeTol(g, 2), `${m} unmerged`).maxAbs);
    }
  });

  it('logitsFromTopk rebuilds PEFT’s reloaded logits (≤ 1 ulp of log; NaN and −inf exact)', () => {
    for (const m of g.modules) {
      for (const which of ['A', 'B'] as const) {
        const { indices, weightsKm1 } = g.topkFile(m, which);
        const lg = logitsFromTopk({ indices, weightsKm1, nv: g.config.num_vectors });
        const rep = expectClose(lg, g.layer(m, `topk_reload.logits_${which}`), LOG_1ULP, `${m} reload logits ${which}`);
        record(c, 'reload logits (ulps)', rep.maxUlps);
      }
    }
  });

  it('A, B, delta and probe output recomposed after the top-k reload match PEFT (NaN where PEFT has NaN)', () => {
    for (const m of g.modules) {
      const nv = g.config.num_vectors;
      const rebuilt = (which: 'A' | 'B') => logitsFromTopk({ ...g.topkFile(m, which), nv });
      const { A, B } = composeLowRank({ logitsA: rebuilt('A'), logitsB: rebuilt('B'), bank: g.bank, k });
      record(c, 'reload A', expectClose(A, g.layer(m, 'topk_reload.A'), AB_TOL, `${m} reload A`).maxAbs);
      record(c, 'reload B', expectClose(B, g.layer(m, 'topk_reload.B'), AB_TOL, `${m} reload B`).maxAbs);
      const d = deltaWeight({ A, B, fanInFanOut: fif });
      record(
        c,
        'reload delta',
        expectClose(d, g.layer(m, 'topk_reload.delta_weight'), DELTA_TOL, `${m} reload delta`).maxAbs,
      );
      const x = g.layer(m, 'probe_x') as HostTensor<'f32' | 'bf16'>;
      const bias = g.bias(m);
      const base = linear({ x, weight: g.weight(m), ...(bias ? { bias } : {}), fanInFanOut: fif });
      const y = adapterForward({ x, baseOut: base, A, B });
      record(
        c,
        'reload probe_y',
        expectClose(y, g.layer(m, 'topk_reload.probe_y'), outTol(g), `${m} reload probe_y`).maxAbs,
      );
    }
  });

  it('topkWeightsForSave writes PEFT’s top-k file (indices exact, weights ≤ 2 ulps, safety nudges aside)', () => {
    for (const m of g.modules) {
      for (const which of ['A', 'B'] as const) {
        const ours = topkWeightsForSave({ logits: g.logits(m, which), k });
        const file = g.topkFile(m, which);
        const tied = g.tiedRows(m, which);
        const nudged = new Set(ours.nudgedRows);
        expectClose(
          selectRows(ours.indices, (r) => !tied.has(r)),
          selectRows(file.indices, (r) => !tied.has(r)),
          EXACT,
          `${m} ${which} indices`,
        );
        if (k === 1) continue;
        const keep = (r: number) => !nudged.has(r);
        const rep = expectClose(
          selectRows(ours.weightsKm1, keep),
          selectRows(file.weightsKm1, keep),
          WEIGHTS_2ULP,
          `${m} ${which} weights`,
        );
        record(c, 'saved weights (ulps)', rep.maxUlps);
      }
    }
  });
});

/** Probe outputs: f32 within OUT_TOL; bf16 outputs within one bf16 ulp at their scale (2^-8 relative). */
function outTol(g: Golden) {
  return g.weight(g.modules[0]!).dtype === 'bf16' ? { atol: 0, rtol: 2 ** -8 } : OUT_TOL;
}

/**
 * Weights after `roundings` merge/unmerge steps from our (not PEFT's) A/B: each step adds the ΔW difference and may
 * flip its final rounding by one ulp of the weight's dtype (≤ 2^-23·|w| in f32, ≤ 2^-8·|w| in bf16).
 */
function mergeTol(g: Golden, roundings: 1 | 2) {
  return g.weight(g.modules[0]!).dtype === 'bf16'
    ? { atol: 0, rtol: roundings * 2 ** -8 }
    : { atol: roundings * DELTA_TOL.atol, rtol: roundings * 2 ** -23 };
}
