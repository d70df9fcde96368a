/**
 * NaN and ±inf in logits and in the bank. The contract: NaN ranks highest in top-k (like `torch.topk`), ties among
 * NaNs go to the lowest index, and NaN/inf flow through the softmax and the admixture as IEEE arithmetic says
 * (a row holding +inf or NaN gets NaN weights; 0·inf is NaN). Expected values are the reference kernels'.
 * @module
 */
import type { ConformanceCase } from '../case.js';
import { bank, logits, normal, rngFor, topkForm } from './random-inputs.js';
import { referenceCase } from './reference-case.js';
import { nonFiniteBank, nonFiniteLogits, type NonFinitePattern } from './special-inputs.js';

const LOGITS: readonly [number, number, number, NonFinitePattern][] = [
  // nv, vl, k, pattern
  [16, 4, 1, 'nan'],
  [16, 4, 3, 'nan'],
  [12, 4, 2, 'pos-inf'],
  [20, 4, 4, 'mixed-nonfinite'],
];

/** Every NaN/±inf case. */
export function nonFiniteCases(): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  LOGITS.forEach(([nv, vl, k, pattern], i) => {
    const seed = 800 + i;
    const tag = `rand-s${seed}-nv${nv}-vl${vl}-k${k}-${pattern}`;
    cases.push(
      referenceCase('topkAdmixture', tag, `${pattern} logits: NaN ranks highest, NaN ties lowest index first`, () => {
        const rng = rngFor(seed);
        return { logits: nonFiniteLogits(rng, [4, 6, nv], pattern), bank: bank(rng, nv, vl), k };
      }),
      referenceCase('composeLowRank', tag, `${pattern} logits in A and B`, () => {
        const rng = rngFor(seed);
        return {
          logitsA: nonFiniteLogits(rng, [2, 3, nv], pattern),
          logitsB: nonFiniteLogits(rng, [4, 2, nv], pattern),
          bank: bank(rng, nv, vl),
          k,
        };
      }),
    );
  });
  const seed = 810;
  const tag = `rand-s${seed}-nv16-vl4-k3-nonfinite-bank`;
  cases.push(
    referenceCase('topkAdmixture', tag, 'NaN and ±inf in the bank (0·inf and inf − inf are NaN)', () => {
      const rng = rngFor(seed);
      return { logits: logits(rng, [4, 5, 16], 'neg-inf', 3), bank: nonFiniteBank(rng, 16, 4), k: 3 };
    }),
    referenceCase('admixFromTopk', tag, 'NaN and ±inf in the bank', () => {
      const rng = rngFor(seed);
      const form = topkForm(rng, [4, 5], 16, 3);
      return { indices: form.indices, weights: form.weights, bank: nonFiniteBank(rng, 16, 4) };
    }),
    referenceCase('composeLowRank', tag, 'NaN and ±inf in the bank', () => {
      const rng = rngFor(seed);
      return {
        logitsA: normal(rng, [2, 3, 16], 2),
        logitsB: normal(rng, [3, 2, 16], 2),
        bank: nonFiniteBank(rng, 16, 4),
        k: 3,
      };
    }),
  );
  return cases;
}
