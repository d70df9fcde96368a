/**
 * The page side of the Chromium test: runs the conformance suite on the browser's own WebGPU (navigator.gpu) and
 * returns a compact report. The golden fixtures are fetched from the test's server first, for the node:fs stub.
 */
import { checkConformance, isFailure } from '@vblora/conformance';
import { createWebGpuBackend } from '../../src/index.js';
import { preloadFiles } from './node-fs-stub.js';

/** What the page hands back to the test (JSON). */
export interface PageReport {
  readonly adapter: string;
  readonly ok: boolean;
  readonly totals: { passed: number; failed: number; skipped: number; knownFailures: number };
  readonly failures: readonly { id: string; message: string }[];
  readonly skippedKernels: readonly string[];
}

async function run(): Promise<PageReport> {
  const list = (await (await fetch('/fixtures/index.json')).json()) as string[];
  await preloadFiles(list, (name) => `/fixtures/${name}`);
  const adapter = await navigator.gpu.requestAdapter();
  const info = adapter?.info;
  const backend = createWebGpuBackend({ name: 'webgpu-chromium' });
  const report = await checkConformance(backend);
  return {
    adapter: info === undefined ? 'none' : `${info.vendor} ${info.architecture}`,
    ok: report.ok,
    totals: report.totals,
    failures: report.cases.filter((c) => isFailure(c.status)).map((c) => ({ id: c.id, message: c.message })),
    skippedKernels: [...new Set(report.cases.filter((c) => c.status === 'skip').map((c) => c.id.split('/')[0]!))],
  };
}

(globalThis as { runConformanceInPage?: () => Promise<PageReport> }).runConformanceInPage = run;
