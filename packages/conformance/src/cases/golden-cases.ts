/**
 * Cases from PEFT's golden fixtures, per module and per kernel: the expected values are tensors PEFT itself
 * produced. Where the fixture has tied logits (torch's choice among equals is implementation-defined) or where
 * PEFT's own result is NaN (its top-k reload bug), the case compares with the reference kernel instead and says so.
 * @module
 */
import {
  reloadTopkWeights,
  tensor,
  toF32,
  type HostTensor,
  type KernelName,
  type Precision,
  type VBLoRAAdapter,
} from '@vblora/core';
import { defineCase, type ConformanceCase, type KernelArgs, type OutputCheck } from '../case.js';
import { expectedTensor, type GoldenFixture, type GoldenFixtures } from '../golden/golden-fixture.js';
import { declaredChecks } from '../tolerance.js';
import { referenceOutputs } from './reference-outputs.js';
import { roundingCheck } from './rounding-check.js';

function i32(t: HostTensor): HostTensor<'i32'> {
  return tensor(
    'i32',
    t.shape,
    Int32Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v)),
  );
}

function factorLogits(a: VBLoRAAdapter, path: string, f: 'A' | 'B'): HostTensor<'f32'> {
  const m = a.modules.get(path)!;
  const factor = f === 'A' ? m.a : m.b;
  if (factor.kind !== 'logits') throw new Error(`${path}.${f} is not stored as logits`);
  return toF32(factor.logits);
}

function factorTopk(a: VBLoRAAdapter, path: string, f: 'A' | 'B'): { indices: HostTensor; weights: HostTensor<'f32'> } {
  const m = a.modules.get(path)!;
  const factor = f === 'A' ? m.a : m.b;
  if (factor.kind !== 'topk') throw new Error(`${path}.${f} is not stored as top-k`);
  return { indices: factor.indices, weights: toF32(factor.weights) };
}

function hasNaN(t: HostTensor): boolean {
  return Array.from(toF32(t).data).some(Number.isNaN);
}

interface CaseSpec<K extends KernelName> {
  readonly kernel: K;
  readonly id: string;
  readonly about: string;
  readonly args: () => KernelArgs<K>;
  /** PEFT's outputs, or null to compare with the reference kernel (ties, PEFT's NaN bug). */
  readonly peft: () => Record<string, HostTensor> | null;
  readonly checks?: (expected: Record<string, HostTensor>, precision: Precision) => Record<string, OutputCheck>;
}

function goldenCase<K extends KernelName>(spec: CaseSpec<K>): ConformanceCase<K> {
  const peft = spec.peft();
  let memo: Record<string, HostTensor> | undefined;
  const expected = async () => (memo ??= peft ?? (await referenceOutputs(spec.kernel, spec.args())));
  return defineCase({
    id: spec.id,
    kernel: spec.kernel,
    source: peft === null ? 'reference' : 'peft-golden',
    about:
      peft === null
        ? `${spec.about} (expected from the reference: tied logits, PEFT's NaN, or an output PEFT does not save)`
        : spec.about,
    args: spec.args,
    expected,
    checks: (precision) => (spec.checks ?? ((e, p) => declaredChecks(spec.kernel, e, p)))(memo ?? {}, precision),
  });
}

function moduleCases(f: GoldenFixture, path: string): ConformanceCase[] {
  const c = f.name;
  const k = f.full.config.topk;
  const fanInFanOut = f.full.config.fan_in_fan_out;
  const bank = toF32(f.full.bank);
  // typed as f32 for the kernels' generic signatures; bf16 fixtures really hold bf16 (the kernels accept both)
  const e = (suffix: string) => expectedTensor(f, `layer.${path}.${suffix}`) as HostTensor<'f32'>;
  const id = (kernel: string, ...rest: string[]) => [kernel, 'golden', c, path, ...rest].join('/');
  const A = () => e('A');
  const B = () => e('B');
  const weight = () => f.base.get(`${path}.weight`)! as HostTensor<'f32'>;
  const bias = () =>
    (f.full.extraTensors.get(`base_model.model.${path}.base_layer.bias`) ?? f.base.get(`${path}.bias`)) as
      HostTensor<'f32'> | undefined;
  const cases: ConformanceCase[] = [];

  for (const side of ['A', 'B'] as const) {
    cases.push(
      goldenCase({
        kernel: 'topkAdmixture',
        id: id('topkAdmixture', side),
        about: `top-k indices and softmax weights of logits_${side}`,
        args: () => ({ logits: factorLogits(f.full, path, side), bank, k }),
        peft: () =>
          f.hasTies ? null : { indices: i32(e(`topk_indices_${side}`)), weights: e(`topk_weights_${side}`) },
      }),
      goldenCase({
        kernel: 'logitsFromTopk',
        id: id('logitsFromTopk', side),
        about: `PEFT-exact logits rebuilt from the top-k checkpoint (NaN where PEFT gives NaN)`,
        args: () => {
          const t = factorTopk(f.topk, path, side);
          return { indices: t.indices, weightsKm1: t.weights, nv: f.full.config.num_vectors };
        },
        peft: () => ({ logits: e(`topk_reload.logits_${side}`) }),
      }),
      goldenCase({
        kernel: 'topkReload',
        id: id('topkReload', side),
        about: "PEFT's reload of the stored top-k factor: the indices and weights it mixes",
        args: () => {
          const t = factorTopk(f.topk, path, side);
          return { indices: t.indices, weightsKm1: t.weights, k, nv: f.full.config.num_vectors };
        },
        // PEFT's fixtures hold the reloaded dense logits and the composed A and B (the composeLowRank topk case
        // above checks the reload through them), not the reloaded indices and weights themselves
        peft: () => null,
      }),
      ...(hasNaN(e(`topk_reload.logits_${side}`))
        ? [
            goldenCase({
              kernel: 'logitsFromTopk',
              id: id('logitsFromTopk', side, 'safe'),
              about: "safe reload of PEFT's NaN rows: the restored weight clamped at 0 (logit −inf), the rest PEFT's",
              args: () => {
                const t = factorTopk(f.topk, path, side);
                return { indices: t.indices, weightsKm1: t.weights, nv: f.full.config.num_vectors, safe: true };
              },
              peft: () => null,
            }),
          ]
        : []),
      goldenCase({
        kernel: 'topkWeightsForSave',
        id: id('topkWeightsForSave', side),
        about: `indices and k−1 weights as the top-k checkpoint stores them`,
        args: () => ({ logits: factorLogits(f.full, path, side), k }),
        peft: () => {
          if (f.hasTies) return null;
          const t = factorTopk(f.topk, path, side);
          return { indices: i32(t.indices), weightsKm1: t.weights };
        },
      }),
    );
  }
  cases.push(
    goldenCase({
      kernel: 'composeLowRank',
      id: id('composeLowRank', 'full'),
      about: 'A and B from the full logits checkpoint',
      args: () => ({ logitsA: factorLogits(f.full, path, 'A'), logitsB: factorLogits(f.full, path, 'B'), bank, k }),
      peft: () => (f.hasTies ? null : { A: A(), B: B() }),
    }),
    goldenCase({
      kernel: 'composeLowRank',
      id: id('composeLowRank', 'topk'),
      about: 'A and B from the top-k checkpoint (PEFT reload semantics; finite where PEFT gives NaN)',
      args: () => {
        const form = (side: 'A' | 'B') => {
          const t = factorTopk(f.topk, path, side);
          const r = reloadTopkWeights(t.indices, t.weights, k);
          return { indices: r.indices, weights: r.weights };
        };
        return { logitsA: form('A'), logitsB: form('B'), bank, k };
      },
      peft: () => (hasNaN(e('topk_reload.A')) ? null : { A: e('topk_reload.A'), B: e('topk_reload.B') }),
    }),
    goldenCase({
      kernel: 'admixFromTopk',
      id: id('admixFromTopk', 'A'),
      about: "sub-vectors of A from torch's own top-k indices and weights",
      args: () => ({ indices: e('topk_indices_A'), weights: e('topk_weights_A'), bank }),
      peft: () => {
        const t = A();
        const [r, inF] = t.shape as [number, number];
        const vl = f.full.config.vector_length;
        return { vectors: tensor('f32', [r, inF / vl, vl], toF32(t).data) };
      },
    }),
    goldenCase({
      kernel: 'deltaWeight',
      id: id('deltaWeight'),
      about: `B·A${fanInFanOut ? ', transposed (fan_in_fan_out)' : ''}`,
      args: () => ({ A: A(), B: B(), fanInFanOut }),
      peft: () => ({ delta: e('delta_weight') }),
    }),
    goldenCase({
      kernel: 'merge',
      id: id('merge'),
      about: `W ← round_${weight().dtype}(W + ΔW)`,
      args: () => ({ weight: weight() as HostTensor<'f32'>, A: A(), B: B(), fanInFanOut }),
      peft: () => ({ weight: e('merged_weight') }),
      checks: (ex, p) => roundingCheck('merge', ex, { weight: weight(), A: A(), B: B(), fanInFanOut }, p),
    }),
    goldenCase({
      kernel: 'unmerge',
      id: id('unmerge'),
      about: `W ← round_${weight().dtype}(W_merged − ΔW)`,
      args: () => ({ weight: e('merged_weight') as HostTensor<'f32'>, A: A(), B: B(), fanInFanOut }),
      peft: () => ({ weight: e('unmerged_weight') }),
      checks: (ex, p) =>
        roundingCheck(
          'unmerge',
          ex,
          { weight: e('merged_weight') as HostTensor<'f32'>, A: A(), B: B(), fanInFanOut },
          p,
        ),
    }),
    goldenCase({
      kernel: 'linear',
      id: id('linear'),
      about: 'the base layer alone (adapter disabled)',
      args: () => {
        const b = bias();
        return {
          x: e('probe_x') as HostTensor<'f32'>,
          weight: weight(),
          fanInFanOut,
          ...(b === undefined ? {} : { bias: b }),
        };
      },
      peft: () => ({ y: e('probe_y.disabled') }),
    }),
    goldenCase({
      kernel: 'adapterForward',
      id: id('adapterForward'),
      about: 'base output + (x·Aᵀ)·Bᵀ (eval mode: no dropout)',
      args: () => ({ x: e('probe_x') as HostTensor<'f32'>, baseOut: e('probe_y.disabled'), A: A(), B: B() }),
      peft: () => ({ y: e('probe_y.adapter') }),
    }),
  );
  return cases;
}

/** Every golden case of the given PEFT fixtures (see `fetchGoldenFixtures` / `goldenFixturesFromFiles`). */
export function goldenCases(fixtures: GoldenFixtures): ConformanceCase[] {
  return [...fixtures.values()].flatMap((f) => [...f.full.modules.keys()].flatMap((path) => moduleCases(f, path)));
}
