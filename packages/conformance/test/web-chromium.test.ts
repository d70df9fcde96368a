/**
 * `@vblora/conformance/web` in a page: bundled with esbuild for the browser (no Node built-in may be reached —
 * the Node entry is bundled too, to prove the check sees one), then run in headless Chromium against core's
 * reference and CPU backends, with the golden fixtures fetched (and checked against MANIFEST.sha256) from a local
 * HTTP server. Accuracy: each case's own declared accuracy, as in Node.
 *
 * With CI=true a missing Chromium fails the test instead of skipping it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PEFT_GOLDEN_DIR } from '@vblora/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageReport } from './browser/page.js';
import { bundleForBrowser, type BrowserBundle } from '../../core/test/helpers/browser/browser-bundle.js';
import { CHROMIUM, openPage, type PageSession } from '../../core/test/helpers/browser/page-server.js';

const CI = process.env['CI'] === 'true';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM && CI) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (.ci/run does)`);

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

describe('@vblora/conformance/web bundles for the browser', () => {
  it('the web entry reaches no Node built-in; the Node entry does (the check works)', async () => {
    expect((await bundleForBrowser(src('../src/web.ts'))).nodeBuiltins).toEqual([]);
    expect((await bundleForBrowser(src('./browser/page.ts'))).nodeBuiltins).toEqual([]);
    const node = await bundleForBrowser(src('../src/index.ts'));
    expect(node.nodeBuiltins.some((b) => b.startsWith('node:fs '))).toBe(true);
  });
});

describe.runIf(HAVE_CHROMIUM)('@vblora/conformance/web in headless Chromium', () => {
  let bundle: BrowserBundle;
  let session: PageSession;

  beforeAll(async () => {
    bundle = await bundleForBrowser(src('./browser/page.ts'));
    session = await openPage(bundle.code, { '/fixtures/peft-golden/': PEFT_GOLDEN_DIR });
    await session.page.waitForFunction(() => 'runConformanceInPage' in globalThis);
  }, 120_000);
  afterAll(async () => {
    await session?.close();
  });

  const run = (which: 'reference' | 'cpu'): Promise<PageReport> =>
    session.page.evaluate(
      ([w, url]) =>
        (
          globalThis as unknown as { runConformanceInPage: (w: string, url: string) => Promise<PageReport> }
        ).runConformanceInPage(w, url),
      [which, `${session.origin}/fixtures/peft-golden/`] as const,
    );

  it.each(['reference', 'cpu'] as const)(
    'the %s backend passes the suite, golden cases fetched over HTTP',
    { timeout: 240_000 },
    async (which) => {
      const report = await run(which);
      expect(report.failures).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.goldenPassed).toBeGreaterThan(100);
      expect(report.totals.passed).toBeGreaterThan(300);
      // skips only by absence
      for (const k of report.skippedKernels) expect(report.backendKernels, k).not.toContain(k);
      if (which === 'reference') expect(report.totals.skipped).toBe(0);
      expect(session.missing).toEqual([]);
    },
  );
});
