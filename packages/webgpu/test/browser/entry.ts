/**
 * The page side of the Chromium test: runs the conformance suite on the browser's own WebGPU (navigator.gpu) and
 * returns a compact report. The golden fixtures are fetched from the test's server first, for the node:fs stub.
 */
import { createCpuBackend } from '@vblora/cpu';
import { checkConformance, isFailure, type ConformanceReport } from '@vblora/conformance';
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

function compact(report: ConformanceReport, adapter: string): PageReport {
  return {
    adapter,
    ok: report.ok,
    totals: report.totals,
    failures: report.cases.filter((c) => isFailure(c.status)).map((c) => ({ id: c.id, message: c.message })),
    skippedKernels: [...new Set(report.cases.filter((c) => c.status === 'skip').map((c) => c.id.split('/')[0]!))],
  };
}

async function fixtures(): Promise<void> {
  const list = (await (await fetch('/fixtures/index.json')).json()) as string[];
  await preloadFiles(list, (name) => `/fixtures/${name}`);
}

async function run(): Promise<PageReport> {
  await fixtures();
  const adapter = await navigator.gpu.requestAdapter();
  const info = adapter?.info;
  const report = await checkConformance(createWebGpuBackend({ name: 'webgpu-chromium' }));
  return compact(report, info === undefined ? 'none' : `${info.vendor} ${info.architecture}`);
}

/** Core's CPU backend (WebAssembly SIMD) in the same browser: compiled asynchronously first, as a page should. */
async function runCpu(): Promise<PageReport> {
  await fixtures();
  const backend = createCpuBackend();
  await backend.init?.();
  return compact(await checkConformance(backend), 'WebAssembly SIMD');
}

Object.assign(globalThis, { runConformanceInPage: run, runCpuConformanceInPage: runCpu });
