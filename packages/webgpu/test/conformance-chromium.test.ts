/**
 * The shared conformance suite inside headless Chromium, on the browser's own WebGPU (SwiftShader here): the
 * package and the kit are bundled for the browser and the report is checked here. With CI=true a missing
 * Chromium or WebGPU adapter fails the test instead of skipping it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PEFT_GOLDEN_DIR } from '@vblora/conformance';
import { describe, expect, it } from 'vitest';
import type { PageReport } from './browser/entry.js';
import { bundleForBrowser } from './helpers/bundle.js';
import { CHROMIUM, openPage } from './helpers/chromium.js';

const CI = process.env.CI === 'true';

/** The page with browser/entry.ts loaded; undefined (a skip) without Chromium, an error instead when CI=true. */
async function openEntryPage(): Promise<Awaited<ReturnType<typeof openPage>> | undefined> {
  if (!existsSync(CHROMIUM)) {
    if (CI) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (.ci/run does)`);
    return undefined;
  }
  const bundle = await bundleForBrowser(fileURLToPath(new URL('./browser/entry.ts', import.meta.url)));
  return openPage(bundle, PEFT_GOLDEN_DIR);
}

describe('conformance: webgpu in headless Chromium', () => {
  it('passes every case of the suite on navigator.gpu', { timeout: 240_000 }, async (ctx) => {
    const session = await openEntryPage();
    if (session === undefined) return ctx.skip(`${CHROMIUM} is not installed`);
    try {
      const hasGpu = await session.page.evaluate(async () => (await navigator.gpu?.requestAdapter()) != null);
      if (!hasGpu) {
        if (CI) throw new Error('headless Chromium exposes no WebGPU adapter');
        return ctx.skip('headless Chromium exposes no WebGPU adapter');
      }
      await session.page.waitForFunction(() => 'runConformanceInPage' in globalThis);
      const report = (await session.page.evaluate(() =>
        (globalThis as unknown as { runConformanceInPage: () => Promise<PageReport> }).runConformanceInPage(),
      )) as PageReport;
      expect(report.failures).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.totals.passed).toBeGreaterThan(300);
      // skips are by absence only: the three host-side checkpoint helpers this backend does not implement
      expect([...report.skippedKernels].sort()).toEqual(['logitsFromTopk', 'topkReload', 'topkWeightsForSave']);
    } finally {
      await session.close();
    }
  });

  // core's CPU backend runs in browsers too: the same page checks it, so a browser-only break (WebAssembly SIMD,
  // compile limits on the main thread) fails here
  it("core's cpu backend (WebAssembly SIMD) passes its cases in the page", { timeout: 240_000 }, async (ctx) => {
    const session = await openEntryPage();
    if (session === undefined) return ctx.skip(`${CHROMIUM} is not installed`);
    try {
      await session.page.waitForFunction(() => 'runCpuConformanceInPage' in globalThis);
      const report = (await session.page.evaluate(() =>
        (globalThis as unknown as { runCpuConformanceInPage: () => Promise<PageReport> }).runCpuConformanceInPage(),
      )) as PageReport;
      expect(report.failures).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.totals.passed).toBeGreaterThan(300);
      expect([...report.skippedKernels].sort()).toEqual([
        'admixtureBackward',
        'composeBackward',
        'deltaWeight',
        'logitsFromTopk',
        'topkWeightsForSave',
      ]);
    } finally {
      await session.close();
    }
  });
});
