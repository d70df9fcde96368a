import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  adapterFromFiles,
  adapterToFiles,
  CheckpointFormatError,
  composeAdapter,
  ConfigError,
  type LoadedAdapter,
} from '@vblora/core';
import { adapterParts, adapterSpecArb, packParts } from './helpers/adapter-builder.js';
import { DEFECTS, defectRng, type Expected } from './helpers/adapter-defects.js';
import { fuzzRuns, fuzzTimeout, Outcomes, reportFuzz } from './helpers/budget.js';
import { prototypesAreClean, typedOutcome } from './helpers/outcome.js';

// Structured fuzzing of the adapter loader: a generated adapter that our own writer would produce (random sizes,
// both flavours, f32/bf16/f16, u8…i64 indices), with exactly one defect applied — a wrong shape or dtype, an index
// ≥ nv or negative, a duplicate index, weights out of range or summing above 1, NaN/Inf in the bank or logits, a
// missing or doubled factor, a stray key, a config that disagrees with the tensors. The generator knows what the
// defect must cause, so the property is exact: the typed error with the right rule naming the right tensor, or a
// load with the right warning — and every load composes (finite where the file is finite) and re-writes.
// Budget: VBLORA_FUZZ_RUNS runs (default 500, ~2 s on the 2-core CI machine). Seed fixed below.
const RUNS = fuzzRuns(500);
const SEED = 0x0ada_9e75;

const caseArb = adapterSpecArb.chain((spec) =>
  fc.record({
    spec: fc.constant(spec),
    defect: fc.constantFrom(...DEFECTS.filter((d) => d.when === undefined || d.when(spec))),
    choice: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  }),
);

function checkError(err: unknown, expected: Expected, label: string): string {
  const outcome = typedOutcome(err);
  if (expected.kind !== 'error')
    throw new Error(`${label}: expected a load, got ${outcome}: ${(err as Error).message}`);
  expect(outcome, `${label}: ${(err as Error).message}`).toBe(expected.outcome);
  if (expected.tensor !== undefined) {
    expect((err as CheckpointFormatError).tensor, label).toBe(expected.tensor);
    // The message names the tensor, or at least its module path (control characters shown escaped).
    const named = expected.tensor.replace(/^base_model\.model\.(.*)\.vblora_logits_.*$/, '$1');
    const escaped = JSON.stringify(named)
      .slice(1, -1)
      .replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    expect((err as Error).message, label).toContain(/[\u0000-\u001f\u007f-\u009f]/.test(named) ? escaped : named);
  }
  if (err instanceof ConfigError) expect(err.message.length).toBeGreaterThan(0);
  return outcome;
}

async function checkLoad(loaded: LoadedAdapter, expected: Expected, label: string): Promise<void> {
  if (expected.kind !== 'load') throw new Error(`${label}: expected ${expected.outcome}, but the adapter loaded`);
  const { adapter, warnings } = loaded;
  if (expected.warning === undefined) {
    expect(
      warnings.filter((w) => w.includes('non-finite') || w.includes('finite logit')),
      label,
    ).toEqual([]);
  } else if (typeof expected.warning === 'string') {
    expect(warnings, label).toContain(expected.warning);
  } else {
    expect(
      warnings.some((w) => (expected.warning as RegExp).test(w)),
      `${label}: ${warnings.join(' | ')}`,
    ).toBe(true);
  }
  const pairs = await composeAdapter(adapter);
  expect(pairs.size).toBe(adapter.modules.size);
  for (const [path, { A, B }] of pairs) {
    const m = adapter.modules.get(path)!;
    expect(A.shape).toEqual([adapter.config.r, m.inFeatures]);
    expect(B.shape).toEqual([m.outFeatures, adapter.config.r]);
    if (expected.finite === true) {
      expect(
        A.data.every(Number.isFinite) && B.data.every(Number.isFinite),
        `${label}: ${path} composed non-finite`,
      ).toBe(true);
    }
  }
  // Whatever loads can be written again and reads back to the same modules.
  const again = adapterFromFiles(adapterToFiles(adapter)).adapter;
  expect([...again.modules.keys()].sort()).toEqual([...adapter.modules.keys()].sort()); // file order follows dtypes
}

describe('adapter loader: generated adapters with one defect each', () => {
  it(
    `gives the defect's typed error or warning, never anything else (${RUNS} runs, seed ${SEED})`,
    async () => {
      const outcomes = new Outcomes();
      const t0 = performance.now();
      await fc.assert(
        fc.asyncProperty(caseArb, async ({ spec, defect, choice }) => {
          const parts = adapterParts(spec);
          const expected = defect.apply(parts, defectRng(choice));
          const files = packParts(parts);
          const label = `${defect.name} on ${JSON.stringify(spec)} choice ${choice}`;
          const start = performance.now();
          let loaded: LoadedAdapter;
          try {
            loaded = adapterFromFiles(files);
          } catch (err) {
            outcomes.add(`${defect.name} → ${checkError(err, expected, label)}`, performance.now() - start);
            return;
          }
          await checkLoad(loaded, expected, label);
          outcomes.add(`${defect.name} → load`, performance.now() - start);
        }),
        { seed: SEED, numRuns: RUNS },
      );
      reportFuzz('adapter loader: generated defects', SEED, RUNS, outcomes, performance.now() - t0);
      expect(prototypesAreClean()).toBe(true);
      expect(outcomes.slowestMs).toBeLessThan(2000); // no input comes near a hang
      // The budget reached most defects (each has a fixed expectation, so reaching them is what counts).
      const reached = new Set([...outcomes.counts.keys()].map((k) => k.split(' → ')[0]));
      expect(reached.size).toBeGreaterThanOrEqual(Math.min(DEFECTS.length, Math.floor(RUNS / 20)));
    },
    fuzzTimeout(RUNS, 5),
  );
});
