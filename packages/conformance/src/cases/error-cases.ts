/**
 * Cases whose call must fail, and their twins that must not: PEFT's safe merge (the check after rounding to the
 * weight dtype) and argument validation of every kernel (wrong dtype, rank, size, k or index). The required error
 * is the one core's reference kernel throws for the same arguments.
 * @module
 */
import { tensor, type HostTensor, type KernelName } from '@vblora/core';
import type { ConformanceCase, KernelArgs } from '../case.js';
import { bank, floats, normal, rngFor, topkForm } from './random-inputs.js';
import { errorCase, referenceCase, type CheckBuilder } from './reference-case.js';
import { roundingCheck } from './rounding-check.js';
import { halfTensor, indicesAs, pick } from './special-inputs.js';

/** `text` matched literally inside a pattern. */
const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** PEFT's safe_merge message (SPEC §4.4) for adapter `name`. */
function safeMergeMessage(name: string): RegExp {
  return new RegExp(`^NaNs detected in the merged weights\\. The adapter ${literal(name)} seems to be broken`);
}

/** A message naming argument `arg` (a dotted path such as `logitsA.indices` names `logitsA` too). */
function names(arg: string): RegExp {
  return new RegExp(`\\b${literal(arg)}\\b`);
}

function fill(shape: readonly number[], v: number): HostTensor<'f32'> {
  return tensor('f32', shape, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v));
}

type MergeArgs = KernelArgs<'merge'>;

/** Merge inputs whose result is not finite in the weight dtype, though (but for NaN inputs) finite in float32. */
const POISONED: readonly [string, number, () => MergeArgs][] = [
  // tag, seed, args
  [
    'f32-nan-in-A',
    710,
    () => {
      const rng = rngFor(710);
      const A = normal(rng, [2, 8], 0.3);
      A.data[pick(rng, 16)] = NaN;
      return { weight: normal(rng, [6, 8]), A, B: normal(rng, [6, 2], 0.3) };
    },
  ],
  [
    'f16-overflow-after-rounding',
    711,
    () => {
      const rng = rngFor(711);
      const w = normal(rng, [4, 8]).data;
      w[pick(rng, 32)] = 65504; // the largest finite f16; + 32 is finite in f32 and rounds to inf in f16
      return { weight: halfTensor('f16', [4, 8], w), A: fill([2, 8], 4), B: fill([4, 2], 4) };
    },
  ],
  [
    'bf16-overflow-after-rounding',
    712,
    () => {
      const rng = rngFor(712);
      const w = normal(rng, [4, 6]).data;
      w[pick(rng, 24)] = 2 ** 127 * (2 - 2 ** -7); // the largest finite bf16; + 1.5·2^119 rounds to inf in bf16 only
      const A = tensor(
        'f32',
        [2, 6],
        Float32Array.from({ length: 12 }, (_, i) => (i < 6 ? 2 ** 60 : 2 ** 59)),
      );
      return { weight: halfTensor('bf16', [4, 6], w), A, B: fill([4, 2], 2 ** 59) };
    },
  ],
  [
    'bf16-inf-in-weight',
    713,
    () => {
      const rng = rngFor(713);
      const w = normal(rng, [6, 4]).data;
      w[pick(rng, 24)] = Infinity;
      return {
        weight: halfTensor('bf16', [6, 4], w),
        A: normal(rng, [3, 6], 0.3),
        B: normal(rng, [4, 3], 0.3),
        fanInFanOut: true,
      };
    },
  ],
  [
    'f16-nan-in-weight',
    714,
    () => {
      const rng = rngFor(714);
      const w = normal(rng, [4, 8]).data;
      w[pick(rng, 32)] = NaN;
      return { weight: halfTensor('f16', [4, 8], w), A: normal(rng, [2, 8], 0.3), B: normal(rng, [4, 2], 0.3) };
    },
  ],
];

function safeMergeCases(): ConformanceCase[] {
  const round =
    (kernel: 'merge' | 'unmerge'): CheckBuilder<'merge'> =>
    (e, a, p) =>
      roundingCheck(kernel, e, a, p);
  const cases: ConformanceCase[] = [];
  for (const kernel of ['merge', 'unmerge'] as const) {
    for (const [tag, seed, merged] of POISONED) {
      // unmerge subtracts: the same inputs with B negated overflow the same way
      const args =
        kernel === 'merge'
          ? merged
          : (): MergeArgs => {
              const a = merged();
              return {
                ...a,
                B: tensor(
                  'f32',
                  a.B.shape,
                  a.B.data.map((v) => -v),
                ),
              };
            };
      const where = { adapter: 'second', module: 'model.layers.3.mlp.down_proj' };
      cases.push(
        errorCase(
          kernel,
          `safe-s${seed}-${tag}`,
          `safe mode rejects a non-finite result (${tag}; checked after rounding to the weight dtype)`,
          () => ({ ...args(), safe: true, ...where }),
          safeMergeMessage('second'),
        ),
        referenceCase(
          kernel,
          `unsafe-s${seed}-${tag}`,
          `without safe mode the non-finite result is returned (${tag})`,
          () => ({ ...args(), ...where }),
          round(kernel),
        ),
      );
    }
    cases.push(
      referenceCase(
        kernel,
        'safe-s715-finite-bf16',
        'safe mode with a finite result returns it',
        () => {
          const rng = rngFor(715);
          return {
            weight: floats(rng, [8, 12], 'bf16'),
            A: normal(rng, [4, 12], 0.3),
            B: normal(rng, [8, 4], 0.3),
            safe: true,
          };
        },
        round(kernel),
      ),
    );
  }
  return cases;
}

/** One argument made wrong: kernel, tag, what is wrong, the arguments, the argument the error must name. */
type BadArgs = readonly [KernelName, string, string, () => unknown, string];

function validationCases(): ConformanceCase[] {
  const r = () => rngFor(740);
  const topk = () => {
    const g = r();
    return { logits: normal(g, [3, 16], 2), bank: bank(g, 16, 4), k: 3 };
  };
  const form = () => {
    const g = r();
    const f = topkForm(g, [2, 3], 16, 3);
    return { indices: f.indices, weights: f.weights, bank: bank(g, 16, 4) };
  };
  const compose = () => {
    const g = r();
    return { logitsA: normal(g, [2, 3, 16], 2), logitsB: normal(g, [4, 2, 16], 2), bank: bank(g, 16, 4), k: 2 };
  };
  const lowRank = () => {
    const g = r();
    return { A: normal(g, [2, 8], 0.3), B: normal(g, [6, 2], 0.3) };
  };
  const fwd = () => {
    const g = r();
    return { x: normal(g, [3, 8]), baseOut: normal(g, [3, 6]), A: normal(g, [2, 8], 0.3), B: normal(g, [6, 2], 0.3) };
  };
  const i32 = (shape: number[], v: number) =>
    tensor('i32', shape, new Int32Array(shape.reduce((a, b) => a * b, 1)).fill(v));
  const bad: BadArgs[] = [
    [
      'topkAdmixture',
      'logits-bf16',
      'logits in bf16 (must be f32)',
      () => ({ ...topk(), logits: floats(r(), [3, 16], 'bf16') }),
      'logits',
    ],
    ['topkAdmixture', 'bank-rank1', 'a 1-D bank', () => ({ ...topk(), bank: normal(r(), [64]) }), 'bank'],
    [
      'topkAdmixture',
      'logits-nv-mismatch',
      'logits (…, 15) for a bank of 16 vectors',
      () => ({ ...topk(), logits: normal(r(), [3, 15]) }),
      'logits',
    ],
    ['topkAdmixture', 'k0', 'k = 0', () => ({ ...topk(), k: 0 }), 'k'],
    ['topkAdmixture', 'k-above-nv', 'k = nv + 1', () => ({ ...topk(), k: 17 }), 'k'],
    ['topkAdmixture', 'k-fractional', 'k = 1.5', () => ({ ...topk(), k: 1.5 }), 'k'],
    [
      'admixFromTopk',
      'indices-f32',
      'float indices',
      () => ({ ...form(), indices: normal(r(), [2, 3, 3]) }),
      'indices',
    ],
    [
      'admixFromTopk',
      'index-nv',
      'an index equal to nv',
      () => ({ ...form(), indices: i32([2, 3, 3], 16) }),
      'indices',
    ],
    [
      'admixFromTopk',
      'index-negative',
      'a negative index',
      () => ({ ...form(), indices: i32([2, 3, 3], -1) }),
      'indices',
    ],
    [
      'admixFromTopk',
      'index-nv-i64',
      'an i64 index equal to nv',
      () => ({ ...form(), indices: indicesAs(i32([2, 3, 3], 16), 'i64') }),
      'indices',
    ],
    [
      'admixFromTopk',
      'weights-shape',
      'weights (…, 2) for indices (…, 3)',
      () => ({ ...form(), weights: normal(r(), [2, 3, 2]) }),
      'weights',
    ],
    [
      'logitsFromTopk',
      'weights-shape',
      'k weights stored instead of k − 1',
      () => ({ indices: i32([2, 3], 1), weightsKm1: normal(r(), [2, 3]), nv: 16 }),
      'weightsKm1',
    ],
    [
      'logitsFromTopk',
      'index-nv',
      'an index equal to nv',
      () => ({ indices: i32([2, 3], 16), weightsKm1: fill([2, 2], 0.25), nv: 16 }),
      'indices',
    ],
    [
      'logitsFromTopk',
      'k-above-nv',
      'k = 3 indices for nv = 2',
      () => ({ indices: i32([2, 3], 0), weightsKm1: fill([2, 2], 0.25), nv: 2 }),
      'k',
    ],
    [
      'topkReload',
      'weightsKm1-i32',
      'integer stored weights',
      () => ({ indices: i32([2, 2], 1), weightsKm1: i32([2, 1], 0), k: 2 }),
      'weightsKm1',
    ],
    [
      'topkReload',
      'indices-f32',
      'float indices',
      () => ({ indices: fill([2, 2], 1), weightsKm1: fill([2, 1], 0.25), k: 2 }),
      'indices',
    ],
    [
      'topkReload',
      'weights-shape',
      'k weights stored instead of k − 1',
      () => ({ indices: i32([2, 3], 1), weightsKm1: fill([2, 3], 0.25), k: 3 }),
      'weightsKm1',
    ],
    [
      'topkReload',
      'indices-k',
      'indices (…, 3) for k = 2',
      () => ({ indices: i32([2, 3], 1), weightsKm1: fill([2, 1], 0.25), k: 2 }),
      'indices',
    ],
    [
      'topkReload',
      'index-nv',
      'an index equal to nv',
      () => ({ indices: i32([2, 3], 16), weightsKm1: fill([2, 2], 0.25), k: 3, nv: 16 }),
      'indices',
    ],
    [
      'topkReload',
      'index-negative-i64',
      'a negative i64 index',
      () => ({ indices: indicesAs(i32([3, 2], -1), 'i64'), weightsKm1: fill([3, 1], 0.25), k: 2 }),
      'indices',
    ],
    [
      'topkReload',
      'k-zero',
      'k = 0 (k must be a positive integer)',
      () => ({ indices: i32([2, 0], 0), weightsKm1: fill([2, 0], 0), k: 0 }),
      'k',
    ],
    ['topkWeightsForSave', 'logits-i32', 'integer logits', () => ({ logits: i32([3, 16], 1), k: 2 }), 'logits'],
    ['topkWeightsForSave', 'k-above-nv', 'k = nv + 1', () => ({ logits: normal(r(), [3, 16]), k: 17 }), 'k'],
    [
      'composeLowRank',
      'logitsA-rank2',
      '2-D logits A',
      () => ({ ...compose(), logitsA: normal(r(), [6, 16]) }),
      'logitsA',
    ],
    [
      'composeLowRank',
      'logitsB-rank-mismatch',
      'logits B with r = 3 for logits A with r = 2',
      () => ({ ...compose(), logitsB: normal(r(), [4, 3, 16]) }),
      'logitsB',
    ],
    [
      'composeLowRank',
      'topk-k-mismatch',
      'a top-k form with k = 3 for k = 2',
      () => ({ ...compose(), logitsA: topkForm(r(), [2, 3], 16, 3) }),
      'logitsA',
    ],
    [
      'composeLowRank',
      'topk-index-nv',
      'a top-k form with an index equal to nv',
      () => ({ ...compose(), logitsA: { indices: i32([2, 3, 2], 16), weights: fill([2, 3, 2], 0.5) } }),
      'logitsA',
    ],
    [
      'composeLowRank',
      'bank-f16',
      'a bank in f16',
      () => ({ ...compose(), bank: floats(r(), [16, 4], 'f16') }),
      'bank',
    ],
    ['deltaWeight', 'A-bf16', 'A in bf16', () => ({ ...lowRank(), A: floats(r(), [2, 8], 'bf16') }), 'A'],
    ['deltaWeight', 'B-rank-mismatch', 'B (6, 3) for A (2, 8)', () => ({ ...lowRank(), B: normal(r(), [6, 3]) }), 'B'],
    ['deltaWeight', 'A-rank3', 'a 3-D A', () => ({ ...lowRank(), A: normal(r(), [2, 2, 4]) }), 'A'],
    [
      'merge',
      'weight-transposed',
      'an (in, out) weight without fanInFanOut',
      () => ({ ...lowRank(), weight: normal(r(), [8, 6]) }),
      'weight',
    ],
    ['merge', 'weight-i32', 'an integer weight', () => ({ ...lowRank(), weight: i32([6, 8], 1) }), 'weight'],
    [
      'merge',
      'A-f16',
      'A in f16',
      () => ({ ...lowRank(), A: floats(r(), [2, 8], 'f16'), weight: normal(r(), [6, 8]) }),
      'A',
    ],
    [
      'unmerge',
      'weight-fan-in-fan-out',
      'an (out, in) weight with fanInFanOut',
      () => ({ ...lowRank(), weight: normal(r(), [6, 8]), fanInFanOut: true }),
      'weight',
    ],
    [
      'linear',
      'weight-in-mismatch',
      'weight (6, 7) for x (…, 8)',
      () => ({ x: normal(r(), [3, 8]), weight: normal(r(), [6, 7]) }),
      'weight',
    ],
    [
      'linear',
      'bias-length',
      'bias (5,) for out = 6',
      () => ({ x: normal(r(), [3, 8]), weight: normal(r(), [6, 8]), bias: normal(r(), [5]) }),
      'bias',
    ],
    ['linear', 'x-i32', 'integer x', () => ({ x: i32([3, 8], 1), weight: normal(r(), [6, 8]) }), 'x'],
    [
      'adapterForward',
      'baseOut-shape',
      'baseOut (3, 5) for out = 6',
      () => ({ ...fwd(), baseOut: normal(r(), [3, 5]) }),
      'baseOut',
    ],
    ['adapterForward', 'x-in-mismatch', 'x (…, 7) for A (2, 8)', () => ({ ...fwd(), x: normal(r(), [3, 7]) }), 'x'],
    ['adapterForward', 'baseOut-i32', 'integer baseOut', () => ({ ...fwd(), baseOut: i32([3, 6], 0) }), 'baseOut'],
    [
      'mixedBatchForward',
      'row-adapter-out-of-range',
      'rowAdapter naming adapter 2 of 2',
      () => {
        const f = fwd();
        return {
          x: f.x,
          baseOut: f.baseOut,
          adapters: [
            { A: f.A, B: f.B },
            { A: f.A, B: f.B },
          ],
          rowAdapter: Int32Array.of(0, 2, -1),
        };
      },
      'rowAdapter',
    ],
    [
      'mixedBatchForward',
      'row-adapter-length',
      'rowAdapter with 2 entries for 3 rows',
      () => {
        const f = fwd();
        return { x: f.x, baseOut: f.baseOut, adapters: [{ A: f.A, B: f.B }], rowAdapter: Int32Array.of(0, -1) };
      },
      'rowAdapter',
    ],
    [
      'mixedBatchForward',
      'adapter-in-mismatch',
      'adapter 1 with A (2, 7) for x (…, 8)',
      () => {
        const f = fwd();
        return {
          x: f.x,
          baseOut: f.baseOut,
          adapters: [
            { A: f.A, B: f.B },
            { A: normal(r(), [2, 7]), B: f.B },
          ],
          rowAdapter: Int32Array.of(0, 1, -1),
        };
      },
      'adapter',
    ],
    [
      'admixtureBackward',
      'gradVectors-shape',
      'gradVectors (3, 5) for vl = 4',
      () => ({ ...topk(), gradVectors: normal(r(), [3, 5]) }),
      'gradVectors',
    ],
    [
      'composeBackward',
      'gradA-shape',
      'gradA (2, 11) for A (2, 12)',
      () => {
        const c = compose();
        return { ...c, gradA: normal(r(), [2, 11]), gradB: normal(r(), [16, 2]) };
      },
      'gradA',
    ],
  ];
  return bad.map(([kernel, tag, about, args, arg]) =>
    errorCase(
      kernel,
      `invalid-${tag}`,
      `argument validation: ${about}`,
      args as () => KernelArgs<typeof kernel>,
      names(arg),
    ),
  );
}

/** Every case whose call must throw, with the non-throwing twins of the safe-mode ones. */
export function errorCases(): ConformanceCase[] {
  return [...safeMergeCases(), ...validationCases()];
}
