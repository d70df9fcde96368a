import { describe, expect, it } from 'vitest';
import { defineBackend, referenceBackend } from '@vblora/core';
import { allCases, checkConformance, formatReport } from '@vblora/conformance';
import { tinyBackend } from '../examples/tiny-backend.js';

const cases = allCases();

describe('conformance runner', () => {
  it('every case id is unique and names its kernel; the suite covers every kernel of the contract', () => {
    const ids = cases.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of cases) expect(c.id.startsWith(`${c.kernel}/`), c.id).toBe(true);
    expect(new Set(cases.map((c) => c.kernel))).toEqual(new Set(Object.keys(referenceBackend.kernels)));
    // random cases carry their seed in the id
    for (const c of cases.filter((x) => x.source === 'reference' && x.id.includes('/rand-')))
      expect(c.id).toMatch(/rand-s\d+/);
  });

  it('a missing kernel is skipped by absence, never failed', async () => {
    const onlyDelta = defineBackend({
      name: 'only-delta',
      precision: 'f32',
      isAvailable: () => true,
      kernels: { deltaWeight: tinyBackend().kernels.deltaWeight! },
    });
    const report = await checkConformance(onlyDelta, {
      cases: cases.filter((c) => c.kernel === 'deltaWeight' || c.kernel === 'merge'),
    });
    expect(report.ok).toBe(true);
    expect(report.kernels.merge?.skipped).toBe(report.cases.filter((c) => c.kernel === 'merge').length);
    expect(report.kernels.deltaWeight?.passed).toBeGreaterThan(0);
  });

  it('a known failure needs a reason, must name a real case, and fails once it starts passing', async () => {
    const id = cases.find((c) => c.kernel === 'merge' && c.id.includes('bf16'))!.id;
    const subset = cases.filter((c) => c.id === id);
    // merge with one flipped bit in its result: the case fails as long as the backend is broken
    const clean = tinyBackend();
    const truncating = defineBackend({
      name: 'flipped-bit',
      precision: 'f32',
      isAvailable: () => true,
      kernels: {
        ...clean.kernels,
        merge: async (a) => {
          const r = await clean.kernels.merge!(a);
          const data = r.data.slice();
          data[0] = data[0]! ^ 1;
          return { ...r, data } as typeof r;
        },
      },
    });
    const stillBroken = await checkConformance(truncating, {
      cases: subset,
      knownFailures: { [id]: 'truncates bf16' },
    });
    expect(stillBroken.ok).toBe(true);
    expect(stillBroken.cases[0]!.status).toBe('known-failure');
    const fixed = await checkConformance(tinyBackend(), { cases: subset, knownFailures: { [id]: 'truncates bf16' } });
    expect(fixed.ok).toBe(false);
    expect(fixed.cases[0]!.status).toBe('unexpected-pass');
    await expect(
      checkConformance(tinyBackend(), { cases: subset, knownFailures: { 'merge/nope': 'x' } }),
    ).rejects.toThrow(/not a case/);
    await expect(checkConformance(tinyBackend(), { cases: subset, knownFailures: { [id]: ' ' } })).rejects.toThrow(
      /needs a reason/,
    );
  });

  it('an unavailable backend is a BackendUnavailableError', async () => {
    const gone = defineBackend({ name: 'gone', precision: 'f32', isAvailable: () => false, kernels: {} });
    await expect(checkConformance(gone)).rejects.toMatchObject({ name: 'BackendUnavailableError' });
  });

  it('the report lists every case with its accuracy and formats as a table', async () => {
    const report = await checkConformance(referenceBackend, {
      cases: cases.filter((c) => c.kernel === 'composeLowRank' && c.throws === undefined),
    });
    expect(report.ok).toBe(true);
    for (const c of report.cases) expect(c.accuracy).toMatch(/^A: \|a−e\| ≤ .*; B: /);
    const text = formatReport(report);
    expect(text).toMatch(/composeLowRank +\d+ +\d+ +0 +0 +0/);
    expect(text).toContain('CONFORMANT');
  });
});
