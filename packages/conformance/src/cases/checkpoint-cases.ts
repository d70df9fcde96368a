/**
 * The rules of PEFT's top-k checkpoints (SPEC §5.3–5.4, docs/numerics.md): reloading corrupted or over-full rows
 * (safe mode clamps or refuses, PEFT-exact mode gives PEFT's NaN), duplicate indices (the later write wins, as in
 * torch's scatter), saving logits that give non-finite weights (refused), and the save adjustment that keeps PEFT
 * from reloading a row as NaN (exercised by rows whose dropped weight is tiny, for k = 3 … 6). Expected values and
 * errors are the reference kernels'.
 * @module
 */
import { tensor, type HostTensor, type Rng } from '@vblora/core';
import type { ConformanceCase } from '../case.js';
import { bank, logits, rngFor, topkForm } from './random-inputs.js';
import { errorCase, referenceCase } from './reference-case.js';
import { indicesAs, pick, storedWeights } from './special-inputs.js';

/** The next float32 above a positive float32 `x`, `n` times. */
function ulpsUp(x: number, n: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  u[0] = u[0]! + n;
  return f[0]!;
}

/**
 * Stored top-k weights (…, k−1) from a top-k form, the first of each row set to 1 − Σ(the others) and raised by
 * 0–3 float32 ulps, so that in some rows the float32 sum exceeds 1 (PEFT then reloads the row as NaN; safe mode
 * restores weight 0).
 */
function overfullStored(seed: number, lead: readonly number[], nv: number, k: number) {
  const rng = rngFor(seed);
  const form = topkForm(rng, lead, nv, k);
  const stored = storedWeights(form.weights);
  const m = k - 1;
  for (let row = 0; row < stored.data.length / m; row++) {
    let rest = 0;
    for (let j = 1; j < m; j++) rest = Math.fround(rest + stored.data[row * m + j]!);
    stored.data[row * m] = ulpsUp(Math.fround(1 - rest), pick(rng, 4));
  }
  return { indices: form.indices, weightsKm1: stored, nv };
}

/** A top-k form where about every other row repeats one of its indices (a hand-edited or corrupted file). */
function duplicated(rng: Rng, lead: readonly number[], nv: number, k: number) {
  const form = topkForm(rng, lead, nv, k);
  for (let row = 0; row < form.indices.data.length / k; row++) {
    if (rng.uniform() < 0.5) continue;
    const from = pick(rng, k);
    const to = (from + 1 + pick(rng, k - 1)) % k;
    form.indices.data[row * k + to] = form.indices.data[row * k + from]!;
  }
  return form;
}

/**
 * Logits (rows, nv) whose k-th largest entry is 17–30 below the largest, so the dropped softmax weight is below
 * 2^-24 and the k−1 stored weights nearly fill the row: the rows where the save adjustment matters.
 */
function tinyTailLogits(rng: Rng, rows: number, nv: number, k: number): HostTensor<'f32'> {
  const data = new Float32Array(rows * nv);
  for (let row = 0; row < rows; row++) {
    const order = Array.from({ length: nv }, (_, j) => j);
    for (let j = nv - 1; j > 0; j--) {
      const q = pick(rng, j + 1);
      [order[j], order[q]] = [order[q]!, order[j]!];
    }
    const top = 2 + 8 * rng.uniform();
    for (let j = 0; j < nv; j++) {
      const rank = j; // order[j] gets the j-th largest logit
      let v: number;
      if (rank === 0) v = top;
      else if (rank < k - 1) v = top - 3 * rng.uniform();
      else if (rank === k - 1) v = top - 17 - 13 * rng.uniform();
      else v = top - 40 - rng.uniform();
      data[row * nv + order[j]!] = v;
    }
  }
  return tensor('f32', [rows, nv], data);
}

function reloadCases(): ConformanceCase[] {
  const corrupt = (seed: number, bad: number) => () => {
    const rng = rngFor(seed);
    const form = topkForm(rng, [2, 3], 32, 3);
    const stored = storedWeights(form.weights);
    stored.data[pick(rng, stored.data.length)] = bad;
    return { indices: indicesAs(form.indices, 'u8'), weightsKm1: stored, nv: 32 };
  };
  const outside = /outside \[0, 1\]/;
  const cases: ConformanceCase[] = [
    errorCase(
      'logitsFromTopk',
      'safe-s720-nan-weight',
      'safe reload rejects a NaN stored weight (a corrupted file)',
      () => ({ ...corrupt(720, NaN)(), safe: true }),
      outside,
    ),
    errorCase(
      'logitsFromTopk',
      'safe-s721-negative-weight',
      'safe reload rejects a negative stored weight',
      () => ({ ...corrupt(721, -0.25)(), safe: true }),
      outside,
    ),
    errorCase(
      'logitsFromTopk',
      'safe-s722-weight-above-one',
      'safe reload rejects a stored weight above 1',
      () => ({ ...corrupt(722, 1.5)(), safe: true }),
      outside,
    ),
    referenceCase(
      'logitsFromTopk',
      'peft-exact-s720-nan-weight',
      'PEFT-exact reload of a NaN stored weight gives NaN, no error',
      corrupt(720, NaN),
    ),
  ];
  for (const [seed, k] of [
    [723, 3],
    [724, 4],
    [725, 5],
  ] as const) {
    const args = () => overfullStored(seed, [4, 8], 300, k);
    cases.push(
      referenceCase(
        'logitsFromTopk',
        `safe-s${seed}-k${k}-sum-above-one`,
        'safe reload clamps 1 − Σw < 0 to weight 0 (logit −inf), never NaN',
        () => ({ ...args(), safe: true }),
      ),
      referenceCase(
        'logitsFromTopk',
        `peft-exact-s${seed}-k${k}-sum-above-one`,
        'PEFT-exact reload: NaN where 1 − Σw < 0 in float32',
        args,
      ),
    );
  }
  for (const [seed, k] of [
    [726, 3],
    [727, 4],
  ] as const) {
    const tag = `duplicate-indices-s${seed}-k${k}`;
    cases.push(
      referenceCase('logitsFromTopk', tag, 'a row repeating an index: the later write wins (torch scatter)', () => {
        const form = duplicated(rngFor(seed), [3, 5], 24, k);
        return { indices: form.indices, weightsKm1: storedWeights(form.weights), nv: 24 };
      }),
      referenceCase('admixFromTopk', tag, 'a row repeating an index: both weights mix the same bank row', () => {
        const rng = rngFor(seed);
        const form = duplicated(rng, [3, 5], 24, k);
        return { indices: form.indices, weights: form.weights, bank: bank(rng, 24, 4) };
      }),
    );
  }
  return cases;
}

function saveCases(): ConformanceCase[] {
  const poisoned = (seed: number, poison: (row: Float32Array) => void) => () => {
    const rng = rngFor(seed);
    const t = logits(rng, [3, 16], 'normal', 3);
    const row = 1 + pick(rng, 2);
    poison(t.data.subarray(16 * row, 16 * (row + 1)));
    return { logits: t, k: 3 };
  };
  const nonFinite = /non-finite/;
  const cases: ConformanceCase[] = [
    errorCase(
      'topkWeightsForSave',
      'nan-s730',
      'a NaN logit would be saved as NaN weights',
      poisoned(730, (row) => (row[5] = NaN)),
      nonFinite,
    ),
    errorCase(
      'topkWeightsForSave',
      'pos-inf-s731',
      'a +inf logit gives NaN weights',
      poisoned(731, (row) => (row[9] = Infinity)),
      nonFinite,
    ),
    errorCase(
      'topkWeightsForSave',
      'all-neg-inf-s732',
      'a row of only −inf gives NaN weights',
      poisoned(732, (row) => row.fill(-Infinity)),
      nonFinite,
    ),
  ];
  for (const [seed, k] of [
    [733, 3],
    [734, 4],
    [735, 5],
    [736, 6],
  ] as const) {
    cases.push(
      referenceCase(
        'topkWeightsForSave',
        `tiny-tail-s${seed}-nv24-k${k}`,
        'dropped weight below 2^-24: the stored weights must reload without NaN in any summation order',
        () => ({
          logits: tinyTailLogits(rngFor(seed), 96, 24, k),
          k,
        }),
      ),
    );
  }
  return cases;
}

/** Every top-k checkpoint case. */
export function checkpointCases(): ConformanceCase[] {
  return [...reloadCases(), ...saveCases()];
}
