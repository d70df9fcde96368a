/**
 * Cases of the `topkReload` kernel (PEFT's reload of a top-k factor: the indices and weights it mixes, from the
 * stored indices and k−1 weights): seeded factors for k = 1, 2, 3, 4 over odd row counts and every index dtype PEFT
 * stores, then the rows ports get wrong — ties (equal weights keep the file order), zero weights (log 0 = −inf),
 * stored weights summing above 1 (the restored weight clamped at 0), the largest weight restored rather than
 * stored — and the stored weights a corrupted file holds (NaN, negative, above 1: refused). Expected values and
 * errors are the reference kernel's; the PEFT golden checkpoints' own stored factors are in `golden-cases.ts`.
 * @module
 */
import { tensor, type HostTensor } from '@vblora/core';
import type { ConformanceCase } from '../case.js';
import { rngFor, topkForm } from './random-inputs.js';
import { errorCase, referenceCase } from './reference-case.js';
import { indicesAs, pick, storedWeights, type IndexDType } from './special-inputs.js';

/** The float32 value just above a positive float32 `x`, `n` times. */
function ulpsUp(x: number, n: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  u[0] = u[0]! + n;
  return f[0]!;
}

/** A seeded top-k factor as a checkpoint stores it: (…, k) indices in `dtype`, (…, k−1) weights. */
function storedFactor(seed: number, lead: readonly number[], nv: number, k: number, dtype: IndexDType) {
  const form = topkForm(rngFor(seed), lead, nv, k);
  return { indices: indicesAs(form.indices, dtype), weightsKm1: storedWeights(form.weights), k, nv };
}

/** Rows written out: `rows[i]` is the k−1 stored weights of row i; indices 3·i + j (distinct, in file order). */
function chosenRows(rows: readonly (readonly number[])[], k: number) {
  const idx = Int32Array.from({ length: rows.length * k }, (_, i) => 3 * Math.floor(i / k) + (i % k));
  return {
    indices: tensor('i32', [rows.length, k], idx),
    weightsKm1: tensor('f32', [rows.length, k - 1], Float32Array.from(rows.flat())),
    k,
  };
}

/** Stored weights (…, k−1) whose float32 sum exceeds 1 by 0–3 ulps in some rows (PEFT reloads those as NaN). */
function overfull(seed: number, lead: readonly number[], nv: number, k: number) {
  const rng = rngFor(seed);
  const form = topkForm(rng, lead, nv, k);
  const stored = storedWeights(form.weights);
  const m = k - 1;
  for (let row = 0; row < stored.data.length / m; row++) {
    let rest = 0;
    for (let j = 1; j < m; j++) rest = Math.fround(rest + stored.data[row * m + j]!);
    stored.data[row * m] = ulpsUp(Math.fround(1 - rest), pick(rng, 4));
  }
  return { indices: form.indices, weightsKm1: stored, k, nv };
}

/** A seeded k = 3 factor with one stored weight replaced by `bad`. */
function corrupt(seed: number, bad: number) {
  const f = storedFactor(seed, [3, 5], 40, 3, 'i64');
  const rng = rngFor(seed + 1);
  (f.weightsKm1 as HostTensor<'f32'>).data[pick(rng, f.weightsKm1.data.length)] = bad;
  return f;
}

/** Every `topkReload` case built from seeded inputs. */
export function reloadCases(): ConformanceCase[] {
  const K = 'topkReload';
  const cases: ConformanceCase[] = [];
  for (const [seed, k, lead, dtype] of [
    [759, 1, [5, 3], 'i64'],
    [760, 2, [7, 3], 'i64'],
    [761, 2, [1, 33], 'u8'],
    [762, 3, [5, 3], 'i64'],
    [763, 3, [9], 'i16'],
    [764, 4, [3, 7], 'i32'],
    [765, 4, [2, 3, 5], 'i64'],
  ] as const) {
    const rows = lead.reduce<number>((a, b) => a * b, 1);
    cases.push(
      referenceCase(K, `s${seed}-k${k}-${dtype}-rows${rows}`, `a stored factor, ${rows} rows, ${dtype} indices`, () =>
        storedFactor(seed, lead, 200, k, dtype),
      ),
    );
  }
  cases.push(
    referenceCase(K, 'ties-k2', 'k = 2: stored 1/2 restores 1/2, a tie: the file order kept', () =>
      chosenRows([[0.5], [0.5], [0.25], [0.75]], 2),
    ),
    referenceCase(K, 'ties-k3', 'k = 3: equal stored and restored weights, the file order kept among equals', () =>
      chosenRows(
        [
          [0.25, 0.25],
          [0.5, 0.25],
          [0.25, 0.5],
          [0.375, 0.25],
          [0.125, 0.125],
        ],
        3,
      ),
    ),
    referenceCase(K, 'ties-k4', 'k = 4: four weights of 1/4, and pairs of equal weights', () =>
      chosenRows(
        [
          [0.25, 0.25, 0.25],
          [0.125, 0.375, 0.125],
          [0.375, 0.125, 0.125],
        ],
        4,
      ),
    ),
    referenceCase(K, 'zero-weights-k2', 'k = 2: stored 0 and stored 1 (log 0 = −inf, weight 0), and −0', () =>
      chosenRows([[0], [1], [-0], [2 ** -149]], 2),
    ),
    referenceCase(K, 'zero-weights-k3', 'k = 3: zero stored weights and a restored weight of exactly 0', () =>
      chosenRows(
        [
          [0, 0.5],
          [1, 0],
          [0, 0],
          [0.75, 0.25],
        ],
        3,
      ),
    ),
    referenceCase(K, 'restored-largest-k4', 'k = 4: the restored weight is the largest, so it ranks first', () =>
      chosenRows(
        [
          [0.125, 0.0625, 0.25],
          [0.1, 0.2, 0.3],
        ],
        4,
      ),
    ),
  );
  for (const [seed, k] of [
    [766, 3],
    [767, 4],
  ] as const) {
    cases.push(
      referenceCase(K, `s${seed}-k${k}-sum-above-one`, 'stored weights summing above 1: the restored weight is 0', () =>
        overfull(seed, [5, 7], 300, k),
      ),
    );
  }
  const outside = /outside \[0, 1\]/;
  cases.push(
    errorCase(
      K,
      's768-nan-weight',
      'a NaN stored weight (a corrupted file) is refused',
      () => corrupt(768, NaN),
      outside,
    ),
    errorCase(K, 's769-negative-weight', 'a negative stored weight is refused', () => corrupt(769, -0.25), outside),
    errorCase(K, 's770-weight-above-one', 'a stored weight above 1 is refused', () => corrupt(770, 1.5), outside),
  );
  return cases;
}
