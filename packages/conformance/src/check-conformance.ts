/**
 * The programmatic runner: every case against a backend, as a JSON-able report.
 * @module
 */
import { BackendUnavailableError, KERNEL_NAMES, type Backend, type KernelName } from '@vblora/core';
import type { ConformanceCase } from './case.js';
import { allCases } from './cases/index.js';
import type { GoldenFixtures } from './golden/golden-fixture.js';
import { isFailure, runCase, type CaseResult } from './run-case.js';

/** Options of {@link checkConformance} and `runConformance`. */
export interface ConformanceOptions {
  /** Case id → reason. Such a case is expected to fail; if it passes, that is reported as a failure. */
  readonly knownFailures?: Readonly<Record<string, string>>;
  /** The cases to run (default: the whole suite, built from `fixtures`). */
  readonly cases?: readonly ConformanceCase[];
  /**
   * The golden fixtures the suite is built from when `cases` is not given (in Node by default the packaged ones,
   * read from disk; in a page see `fetchGoldenFixtures`).
   */
  readonly fixtures?: GoldenFixtures;
}

/** Counts of one kernel (or of the whole run). */
export interface ConformanceCounts {
  passed: number;
  failed: number;
  skipped: number;
  knownFailures: number;
}

/** The report of one conformance run. */
export interface ConformanceReport {
  readonly backend: string;
  readonly precision: string;
  /** True when every applicable case passed (skips by absence allowed, known failures allowed). */
  readonly ok: boolean;
  readonly totals: ConformanceCounts;
  readonly kernels: Readonly<Partial<Record<KernelName, ConformanceCounts>>>;
  readonly cases: readonly CaseResult[];
}

function emptyCounts(): ConformanceCounts {
  return { passed: 0, failed: 0, skipped: 0, knownFailures: 0 };
}

function tally(c: ConformanceCounts, r: CaseResult): void {
  if (r.status === 'pass') c.passed += 1;
  else if (r.status === 'skip') c.skipped += 1;
  else if (r.status === 'known-failure') c.knownFailures += 1;
  else c.failed += 1;
}

/** Checks the known-failure table: every id must name a case of the suite. */
export function checkKnownFailures(cases: readonly ConformanceCase[], known: Readonly<Record<string, string>>): void {
  const ids = new Set(cases.map((c) => c.id));
  for (const [id, reason] of Object.entries(known)) {
    if (!ids.has(id)) throw new Error(`knownFailures lists "${id}", which is not a case of the suite`);
    if (reason.trim() === '') throw new Error(`knownFailures entry "${id}" needs a reason`);
  }
}

/**
 * Runs the conformance suite against a backend; `packaged` gives the golden fixtures when the options name
 * neither cases nor fixtures.
 * @internal
 */
export async function checkConformanceWith(
  backend: Backend,
  options: ConformanceOptions,
  packaged: () => GoldenFixtures,
): Promise<ConformanceReport> {
  if (!(await backend.isAvailable())) {
    throw new BackendUnavailableError(`backend ${backend.name} is not available here`, [
      { backend: backend.name, reason: 'isAvailable() returned false' },
    ]);
  }
  await backend.init?.();
  const cases = options.cases ?? allCases(options.fixtures ?? packaged());
  const known = options.knownFailures ?? {};
  checkKnownFailures(cases, known);
  const results: CaseResult[] = [];
  const kernels: Partial<Record<KernelName, ConformanceCounts>> = {};
  const totals = emptyCounts();
  const order = new Map(KERNEL_NAMES.map((k, i) => [k, i]));
  const sorted = [...cases].sort((a, b) => order.get(a.kernel)! - order.get(b.kernel)!);
  for (const c of sorted) {
    const r = await runCase(backend, c, known[c.id]);
    results.push(r);
    tally((kernels[c.kernel] ??= emptyCounts()), r);
    tally(totals, r);
  }
  return {
    backend: backend.name,
    precision: backend.precision,
    ok: !results.some((r) => isFailure(r.status)),
    totals,
    kernels,
    cases: results,
  };
}
