/**
 * Seeded random cases compared with core's reference kernels: shapes (non-square, r = 1…16, k = 1…nv), ties,
 * −inf logits, extreme logit gaps, bf16/f16 weights, fan_in_fan_out, dropout, several adapters, gradients.
 * The seed is part of every id, so a failing case can be rebuilt exactly.
 * @module
 */
import { tensor, type HostTensor } from '@vblora/core';
import type { ConformanceCase } from '../case.js';
import { bank, floats, logits, normal, rngFor, topkForm, type LogitPattern } from './random-inputs.js';
import { referenceCase, type CheckBuilder } from './reference-case.js';
import { roundingCheck } from './rounding-check.js';

const randomCase = referenceCase;

const TOPK: readonly [number, number, number, LogitPattern][] = [
  // nv, vl, k, pattern
  [16, 4, 1, 'normal'],
  [64, 8, 2, 'normal'],
  [300, 4, 3, 'normal'],
  [8, 4, 8, 'normal'],
  [16, 4, 2, 'ties'],
  [8, 2, 3, 'ties'],
  [16, 4, 3, 'neg-inf'],
  [32, 4, 3, 'large-gap'],
  [32, 4, 4, 'small-gap'],
];

const COMPOSE: readonly [number, number, number, number, number, number, LogitPattern | 'topk'][] = [
  // r, in_t, out_t, vl, nv, k, pattern
  [1, 2, 3, 4, 16, 1, 'normal'],
  [4, 4, 2, 8, 64, 2, 'normal'],
  [8, 2, 4, 4, 32, 3, 'ties'],
  [16, 1, 1, 2, 8, 8, 'normal'],
  [2, 3, 5, 4, 16, 3, 'topk'],
  [4, 2, 2, 4, 16, 3, 'neg-inf'],
  [3, 2, 1, 8, 40, 2, 'large-gap'],
];

const MERGE: readonly [number, number, number, 'f32' | 'bf16' | 'f16', boolean][] = [
  // r, in, out, weight dtype, fanInFanOut
  [4, 12, 8, 'f32', false],
  [2, 8, 16, 'f32', true],
  [8, 16, 12, 'bf16', false],
  [4, 8, 12, 'bf16', true],
  [4, 16, 8, 'f16', false],
  [1, 12, 12, 'f16', true],
];

function topkCases(): ConformanceCase[] {
  return TOPK.flatMap(([nv, vl, k, pattern], i) => {
    const seed = 100 + i;
    const tag = `rand-s${seed}-nv${nv}-vl${vl}-k${k}-${pattern}`;
    const lead = [3, 5];
    return [
      randomCase('topkAdmixture', tag, `top-k admixture, ${pattern} logits`, () => {
        const rng = rngFor(seed);
        return { logits: logits(rng, [...lead, nv], pattern, k), bank: bank(rng, nv, vl), k };
      }),
      randomCase('topkWeightsForSave', tag, `indices and k−1 weights to store, ${pattern} logits`, () => {
        const rng = rngFor(seed);
        return { logits: logits(rng, [...lead, nv], pattern, k), k };
      }),
      randomCase('admixFromTopk', tag, 'admixture from given indices and weights', () => {
        const rng = rngFor(seed);
        const form = topkForm(rng, lead, nv, k);
        return { indices: form.indices, weights: form.weights, bank: bank(rng, nv, vl) };
      }),
      randomCase('logitsFromTopk', tag, 'dense logits from k indices and k−1 stored weights', () => {
        const rng = rngFor(seed);
        const form = topkForm(rng, lead, nv, k);
        const km1 = tensor(
          'f32',
          [...lead, k - 1],
          Float32Array.from(
            { length: 15 * (k - 1) },
            (_, j) => form.weights.data[Math.floor(j / (k - 1)) * k + (j % (k - 1))]!,
          ),
        );
        return { indices: form.indices, weightsKm1: km1, nv, safe: seed % 2 === 0 };
      }),
    ];
  });
}

function composeCases(): ConformanceCase[] {
  return COMPOSE.flatMap(([r, inT, outT, vl, nv, k, pattern], i) => {
    const seed = 200 + i;
    const tag = `rand-s${seed}-r${r}-in${inT * vl}-out${outT * vl}-vl${vl}-nv${nv}-k${k}-${pattern}`;
    const inputs = () => {
      const rng = rngFor(seed);
      const b = bank(rng, nv, vl);
      if (pattern === 'topk')
        return { logitsA: topkForm(rng, [r, inT], nv, k), logitsB: topkForm(rng, [outT, r], nv, k), bank: b, k };
      return {
        logitsA: logits(rng, [r, inT, nv], pattern, k),
        logitsB: logits(rng, [outT, r, nv], pattern, k),
        bank: b,
        k,
      };
    };
    const cases: ConformanceCase[] = [
      randomCase('composeLowRank', tag, `A (r, in) and B (out, r), ${pattern} input`, inputs),
    ];
    if (pattern !== 'topk') {
      cases.push(
        randomCase('composeBackward', tag, 'dL/dA, dL/dB back to logits and bank', () => {
          const a = inputs() as {
            logitsA: HostTensor<'f32'>;
            logitsB: HostTensor<'f32'>;
            bank: HostTensor<'f32'>;
            k: number;
          };
          const rng = rngFor(seed + 1000);
          return { ...a, gradA: normal(rng, [r, inT * vl]), gradB: normal(rng, [outT * vl, r]) };
        }),
        randomCase('admixtureBackward', tag, 'dL/dvectors back to logits and bank', () => {
          const a = inputs() as { logitsA: HostTensor<'f32'>; bank: HostTensor<'f32'>; k: number };
          return { logits: a.logitsA, bank: a.bank, k, gradVectors: normal(rngFor(seed + 2000), [r, inT, vl]) };
        }),
      );
    }
    return cases;
  });
}

function mergeCases(): ConformanceCase[] {
  return MERGE.flatMap(([r, inF, outF, dtype, fanInFanOut], i) => {
    const seed = 300 + i;
    const tag = `rand-s${seed}-r${r}-in${inF}-out${outF}-${dtype}${fanInFanOut ? '-fan_in_fan_out' : ''}`;
    const args = () => {
      const rng = rngFor(seed);
      const shape = fanInFanOut ? [inF, outF] : [outF, inF];
      return {
        weight: floats(rng, shape, dtype),
        A: normal(rng, [r, inF], 0.3),
        B: normal(rng, [outF, r], 0.3),
        fanInFanOut,
      };
    };
    const round =
      (kernel: 'merge' | 'unmerge'): CheckBuilder<'merge'> =>
      (e, a, precision) =>
        roundingCheck(kernel, e, a, precision);
    return [
      randomCase('merge', tag, `merge into a ${dtype} weight`, args, round('merge')),
      randomCase('unmerge', tag, `unmerge from a ${dtype} weight`, args, round('unmerge')),
      randomCase('deltaWeight', tag, `B·A${fanInFanOut ? ' transposed' : ''}`, () => {
        const a = args();
        return { A: a.A, B: a.B, fanInFanOut };
      }),
    ];
  });
}

function forwardCases(): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  const shapes: readonly [number, number, number, 'f32' | 'bf16', boolean][] = [
    [12, 8, 4, 'f32', false],
    [8, 16, 2, 'bf16', true],
    [16, 12, 8, 'f32', true],
  ];
  shapes.forEach(([inF, outF, r, dtype, fanInFanOut], i) => {
    const seed = 400 + i;
    const tag = `rand-s${seed}-in${inF}-out${outF}-r${r}-${dtype}${fanInFanOut ? '-fan_in_fan_out' : ''}`;
    const base = () => {
      const rng = rngFor(seed);
      return {
        x: floats(rng, [2, 3, inF], dtype),
        weight: floats(rng, fanInFanOut ? [inF, outF] : [outF, inF], dtype, 0.2),
        bias: floats(rng, [outF], dtype, 0.1),
        A: normal(rng, [r, inF], 0.2),
        B: normal(rng, [outF, r], 0.2),
        baseOut: floats(rng, [2, 3, outF], dtype),
      };
    };
    cases.push(
      randomCase('linear', tag, `base linear, ${dtype}, with bias`, () => {
        const b = base();
        return { x: b.x, weight: b.weight, bias: b.bias, fanInFanOut };
      }),
      randomCase('adapterForward', tag, `base output + adapter term, ${dtype}`, () => {
        const b = base();
        return { x: b.x, baseOut: b.baseOut, A: b.A, B: b.B };
      }),
      randomCase(
        'adapterForward',
        `${tag}-dropout0.25`,
        'training-mode dropout on the adapter input (seeded mask)',
        () => {
          const b = base();
          return { x: b.x, baseOut: b.baseOut, A: b.A, B: b.B, dropout: { p: 0.25, seed } };
        },
      ),
    );
  });
  // no adapter at all (a batch of base-only rows): valid input, the answer is baseOut in x's dtype
  cases.push(
    randomCase('mixedBatchForward', 'rand-s505-rows5-adapters0', 'no adapters, every row base-only', () => {
      const rng = rngFor(505);
      return {
        x: normal(rng, [5, 8]),
        baseOut: normal(rng, [5, 12]),
        adapters: [],
        rowAdapter: new Int32Array(5).fill(-1),
      };
    }),
  );
  for (const [n, count] of [
    [6, 1],
    [7, 3],
    [9, 4],
  ] as const) {
    const seed = 500 + n;
    cases.push(
      randomCase(
        'mixedBatchForward',
        `rand-s${seed}-rows${n}-adapters${count}`,
        `${count} adapters across ${n} rows, some rows base-only`,
        () => {
          const rng = rngFor(seed);
          const adapters = Array.from({ length: count }, () => ({
            A: normal(rng, [3, 8], 0.3),
            B: normal(rng, [12, 3], 0.3),
          }));
          const rowAdapter = Int32Array.from({ length: n }, (_, j) => (j % (count + 1)) - 1);
          return { x: normal(rng, [n, 8]), baseOut: normal(rng, [n, 12]), adapters, rowAdapter };
        },
      ),
    );
  }
  return cases;
}

/** Every seeded random case. */
export function randomCases(): ConformanceCase[] {
  return [...topkCases(), ...composeCases(), ...mergeCases(), ...forwardCases()];
}
