/**
 * Index width and dtype: banks of more than 32,767 vectors (PEFT stores such indices as int32; an int16
 * implementation wraps), and top-k inputs in every dtype PEFT writes (u8, i16, i32, and i64 as a BigInt64Array).
 * Output indices are i32 by the contract. Expected values are the reference kernels'.
 * @module
 */
import type { ConformanceCase } from '../case.js';
import { bank, normal, rngFor, topkForm } from './random-inputs.js';
import { referenceCase } from './reference-case.js';
import {
  highIndexLogits,
  indicesAs,
  INT16_LIMIT,
  storedWeights,
  topkFormIn,
  type IndexDType,
} from './special-inputs.js';

/** A bank just past the int16 range (not a power of two, so no size trick hides a wrap). */
const NV = INT16_LIMIT + 3;

function largeBankCases(): ConformanceCase[] {
  const seed = 900;
  const tag = `rand-s${seed}-nv${NV}-vl2-k3`;
  const lead = [2, 3];
  const dense = () => {
    const rng = rngFor(seed);
    return { logits: highIndexLogits(rng, [...lead, NV], 3), bank: normal(rng, [NV, 2], 0.1) };
  };
  const form = (dtype: IndexDType) => () => {
    const rng = rngFor(seed + 1);
    const f = topkFormIn(rng, lead, INT16_LIMIT - 2, NV, 3); // indices on both sides of 32,768
    return { indices: indicesAs(f.indices, dtype), weights: f.weights, bank: normal(rng, [NV, 2], 0.1) };
  };
  const cases: ConformanceCase[] = [
    referenceCase('topkAdmixture', tag, 'indices beyond 32,767 (i32, never wrapped)', () => ({ ...dense(), k: 3 })),
    referenceCase('topkWeightsForSave', tag, 'indices beyond 32,767 to store', () => ({
      logits: dense().logits,
      k: 3,
    })),
    referenceCase('admixtureBackward', tag, 'gradients scattered to bank rows beyond 32,767', () => {
      const d = dense();
      return { ...d, k: 3, gradVectors: normal(rngFor(seed + 2), [...lead, 2]) };
    }),
    referenceCase('composeLowRank', tag, 'dense logits over a bank beyond 32,767 vectors', () => {
      const rng = rngFor(seed);
      return {
        logitsA: highIndexLogits(rng, [2, 2, NV], 3),
        logitsB: highIndexLogits(rng, [3, 2, NV], 3),
        bank: normal(rng, [NV, 2], 0.1),
        k: 3,
      };
    }),
  ];
  for (const dtype of ['i32', 'i64'] as const) {
    cases.push(
      referenceCase('admixFromTopk', `${tag}-${dtype}`, `${dtype} indices beyond 32,767`, form(dtype)),
      referenceCase('logitsFromTopk', `${tag}-${dtype}`, `${dtype} indices beyond 32,767`, () => {
        const f = form(dtype)();
        return { indices: f.indices, weightsKm1: storedWeights(f.weights), nv: NV };
      }),
      referenceCase('composeLowRank', `${tag}-topk-${dtype}`, `top-k form with ${dtype} indices beyond 32,767`, () => {
        const rng = rngFor(seed + 3);
        const a = topkFormIn(rng, [2, 2], INT16_LIMIT - 2, NV, 3);
        const b = topkFormIn(rng, [3, 2], INT16_LIMIT - 2, NV, 3);
        return {
          logitsA: { indices: indicesAs(a.indices, dtype), weights: a.weights },
          logitsB: { indices: indicesAs(b.indices, dtype), weights: b.weights },
          bank: normal(rng, [NV, 2], 0.1),
          k: 3,
        };
      }),
    );
  }
  return cases;
}

/** Index dtypes as PEFT chooses them by bank size (SPEC §5.3), each with a bank of that size. */
const DTYPES: readonly [IndexDType, number][] = [
  ['u8', 200],
  ['i16', 300],
  ['i64', 40],
];

function indexDTypeCases(): ConformanceCase[] {
  return DTYPES.flatMap(([dtype, nv], i) => {
    const seed = 910 + i;
    const tag = `rand-s${seed}-nv${nv}-k3-${dtype}-indices`;
    const form = () => {
      const rng = rngFor(seed);
      const f = topkForm(rng, [3, 4], nv, 3);
      return { indices: indicesAs(f.indices, dtype), weights: f.weights, bank: bank(rng, nv, 4) };
    };
    return [
      referenceCase('admixFromTopk', tag, `${dtype} indices (as PEFT stores them for nv = ${nv})`, form),
      referenceCase('logitsFromTopk', tag, `${dtype} indices`, () => {
        const f = form();
        return { indices: f.indices, weightsKm1: storedWeights(f.weights), nv };
      }),
      referenceCase('composeLowRank', `${tag}-topk`, `top-k form with ${dtype} indices`, () => {
        const f = form();
        const g = topkForm(rngFor(seed + 5), [4, 3], nv, 3);
        return {
          logitsA: { indices: f.indices, weights: f.weights },
          logitsB: { indices: indicesAs(g.indices, dtype), weights: g.weights },
          bank: f.bank,
          k: 3,
        };
      }),
    ];
  });
}

/** Every index-width and index-dtype case. */
export function indexCases(): ConformanceCase[] {
  return [...largeBankCases(), ...indexDTypeCases()];
}
