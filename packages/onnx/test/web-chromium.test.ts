/**
 * The browser entry of `@vblora/onnx`: bundled with esbuild for the browser it reaches no Node built-in and no
 * onnxruntime-node (the Node entry is bundled too, to prove the check sees them); in headless Chromium, with
 * onnxruntime-web's wasm build served from node_modules by a local server, the page injects golden adapters into
 * the toy models and runs them with `AdapterSession`, and the same job runs in Node on onnxruntime-node.
 *
 * Accuracy: the injected models are byte-identical (same graph tools, same inputs). Outputs: within
 * 1e-6 + 1e-5·|e| of onnxruntime-node's (measured ≤ 4.8e-7 abs, two float32 ulps, on outputs up to 3.2): both
 * runtimes compute in float32, but MLAS runs different matmul kernels on x86 (AVX/FMA blocking) and on WebAssembly
 * SIMD (128-bit), so sums are added in another order and the last bits differ. Within one runtime, the base model run alone
 * and the injected model without adapter agree exactly (zero adapter terms change no bit).
 *
 * With CI=true a missing Chromium fails the test instead of skipping it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ortNode from 'onnxruntime-node';
import { compareTensors, formatMismatch, tensor, type Tolerance } from '@vblora/core';
import { PEFT_GOLDEN_DIR, type PeftGoldenCase } from '@vblora/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdapterJob, type AdapterJob, type AdapterJobResult } from './browser/adapter-job.js';
import { toyModelBytes } from './fixtures/toy-models.js';
import { bundleForBrowser, type BrowserBundle } from '../../core/test/helpers/browser/browser-bundle.js';
import { CHROMIUM, openPage, type PageSession } from '../../core/test/helpers/browser/page-server.js';
import { tempDir } from './helpers/tmp.js';

const CI = process.env['CI'] === 'true';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM && CI) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (.ci/run does)`);

const PAGE = fileURLToPath(new URL('./browser/page.ts', import.meta.url));
const src = (p: string) => fileURLToPath(new URL(`../src/${p}`, import.meta.url));
/** onnxruntime-web's own build that loads its .wasm from `wasmPaths` instead of carrying it inline. */
const EXTERN_WASM = ['onnxruntime-web-use-extern-wasm'];
/** onnxruntime-web's dist folder, as the page's bundle resolves the package. */
const ORT_WEB_DIST = dirname(createRequire(PAGE).resolve('onnxruntime-web'));

const WASM_VS_NODE: Tolerance = { atol: 1e-6, rtol: 1e-5 };
const CASES: PeftGoldenCase[] = [
  'llama_f32_vl16_nv64_top2',
  'gpt2_conv1d_fan_in_fan_out_f32',
  'llama_f32_vl32_nv300_top3_regex',
  'edge_topk3_ties_zero_nan',
];
const JOBS: AdapterJob[] = CASES.flatMap((c) =>
  (['lowrank', 'topk'] as const).map((variant) => ({ case: c, variant })),
);

const ours = (b: BrowserBundle) => b.nodeBuiltins.filter((i) => !i.includes('node_modules/'));
const nodeRuntime = (b: BrowserBundle) => b.inputs.filter((i) => i.includes('onnxruntime-node') || i.endsWith('.node'));

describe('@vblora/onnx bundles for the browser', () => {
  it('the web entry and the page (`@vblora/onnx` under `browser`) reach no Node built-in and no onnxruntime-node', async () => {
    for (const b of [await bundleForBrowser(src('web.ts')), await bundleForBrowser(PAGE, EXTERN_WASM)]) {
      expect(b.nodeBuiltins).toEqual([]);
      expect(nodeRuntime(b)).toEqual([]);
    }
    // the check sees them: the Node entry reaches node:fs and loads onnxruntime-node
    const node = await bundleForBrowser(src('index.ts'));
    expect(ours(node).some((i) => i.startsWith('node:fs'))).toBe(true);
    expect(readFileSync(src('runtime/node-ort.ts'), 'utf8')).toContain("('onnxruntime-node')");
  });
});

describe.runIf(HAVE_CHROMIUM)(
  'AdapterSession on onnxruntime-web (wasm) in headless Chromium equals onnxruntime-node',
  () => {
    const toy = tempDir('web-toy');
    let session: PageSession;
    const inNode = new Map<string, AdapterJobResult>();

    const diskGet = async (path: string): Promise<Uint8Array> =>
      new Uint8Array(
        readFileSync(
          path.startsWith('toy/') ? join(toy, path.slice(4)) : join(PEFT_GOLDEN_DIR, path.slice('golden/'.length)),
        ),
      );

    beforeAll(async () => {
      mkdirSync(toy, { recursive: true });
      for (const c of CASES) writeFileSync(join(toy, `${c}.onnx`), toyModelBytes(c, { style: 'torch' }));
      const bundle = await bundleForBrowser(PAGE, EXTERN_WASM);
      session = await openPage(bundle.code, { '/ort/': ORT_WEB_DIST, '/toy/': toy, '/golden/': PEFT_GOLDEN_DIR });
      await session.page.waitForFunction(() => 'runAdapterJobInPage' in globalThis);
    }, 120_000);
    afterAll(async () => {
      await session?.close();
    });

    const inPage = async (job: AdapterJob): Promise<AdapterJobResult> => {
      const r = await session.page.evaluate(
        (j) =>
          (
            globalThis as unknown as {
              runAdapterJobInPage: (j: AdapterJob) => Promise<AdapterJobResult | { error: string }>;
            }
          ).runAdapterJobInPage(j),
        job,
      );
      if ('error' in r) throw new Error(`in the page: ${r.error}`);
      return r;
    };

    const close = (
      actual: readonly number[],
      expected: readonly number[],
      dims: readonly number[],
      label: string,
    ): number => {
      const r = compareTensors(
        tensor('f32', dims, Float32Array.from(actual)),
        tensor('f32', dims, Float32Array.from(expected)),
        WASM_VS_NODE,
      );
      expect(r.ok, formatMismatch(r, label)).toBe(true);
      return r.maxAbs;
    };

    it.each(JOBS)('$case, $variant inputs: same injected model, same outputs', { timeout: 120_000 }, async (job) => {
      const node = await runAdapterJob(ortNode, { executionProviders: ['cpu'] }, diskGet, job);
      inNode.set(`${job.case}/${job.variant}`, node);
      const web = await inPage(job);
      expect(web.injectedSha256).toBe(node.injectedSha256);
      expect(web.dims).toEqual(node.dims);
      for (const k of ['full', 'topk', 'none', 'plainBase'] as const)
        close(web[k], node[k], node.dims, `${job.case}/${job.variant} ${k}`);
      expect(web.mixed === null).toBe(node.mixed === null);
      if (web.mixed !== null) close(web.mixed, node.mixed!, node.dims, `${job.case}/${job.variant} mixed`);
      // within each runtime: no adapter = the base model, bit for bit; the adapter changes the output
      expect(web.none).toEqual(web.plainBase);
      expect(node.none).toEqual(node.plainBase);
      expect(web.full).not.toEqual(web.none);
    });

    it("ran on onnxruntime-web's wasm build, fetched from the local server only", () => {
      expect(session.served.some((p) => /^\/ort\/ort-wasm-simd-threaded.*\.wasm$/.test(p))).toBe(true);
      expect(session.pageUrls.filter((u) => !u.startsWith(session.origin))).toEqual([]);
    });

    it('without an onnxruntime module, AdapterSession.create says what to pass', async () => {
      const said = await session.page.evaluate(() =>
        (globalThis as unknown as { adapterSessionWithoutOrt: () => Promise<string> }).adapterSessionWithoutOrt(),
      );
      expect(said).toMatch(/^ConfigError: AdapterSession\.create needs an onnxruntime module: pass \{ ort \}/);
    });
  },
);
