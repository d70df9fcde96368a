/**
 * The page side of the Chromium test: `@vblora/conformance/web` fetches the golden fixtures from the test's
 * server and runs the suite against core's reference backend and its CPU (WebAssembly SIMD) backend.
 */
import { referenceBackend, type Backend } from '@vblora/core';
import { createCpuBackend } from '@vblora/cpu';
import { checkConformance, fetchGoldenFixtures, isFailure, type GoldenFixtures } from '@vblora/conformance/web';

/** What the page hands back to the test (JSON). */
export interface PageReport {
  readonly backend: string;
  readonly ok: boolean;
  readonly totals: { passed: number; failed: number; skipped: number; knownFailures: number };
  readonly goldenPassed: number;
  readonly failures: readonly { id: string; message: string }[];
  /** Kernels with a skipped case, and the kernels the backend has (skips must be by absence). */
  readonly skippedKernels: readonly string[];
  readonly backendKernels: readonly string[];
}

let fixtures: Promise<GoldenFixtures> | undefined;

async function run(which: 'reference' | 'cpu', fixturesUrl: string): Promise<PageReport> {
  fixtures ??= fetchGoldenFixtures(fixturesUrl);
  const backend: Backend = which === 'reference' ? referenceBackend : createCpuBackend();
  const report = await checkConformance(backend, { fixtures: await fixtures });
  return {
    backend: report.backend,
    ok: report.ok,
    totals: report.totals,
    goldenPassed: report.cases.filter((c) => c.status === 'pass' && c.id.split('/')[1] === 'golden').length,
    failures: report.cases.filter((c) => isFailure(c.status)).map((c) => ({ id: c.id, message: c.message })),
    skippedKernels: [...new Set(report.cases.filter((c) => c.status === 'skip').map((c) => c.kernel))],
    backendKernels: Object.keys(backend.kernels),
  };
}

Object.assign(globalThis, { runConformanceInPage: run });
