/**
 * End to end in headless Chromium: transformers.js's web build on onnxruntime-web (wasm execution provider; the
 * WebGPU provider on SwiftShader where the browser exposes an adapter) runs the tiny Llama folders served from
 * 127.0.0.1, and `attachAdapters` (the package's universal entry, reading the model file's metadata with HTTP Range
 * requests and the adapters with fetch) switches adapters in one loaded model. Same expectations as the Node test.
 *
 * Accuracy: token ids exact. Logits against PEFT's (fp32) or the fixture's references (q4, int8): fp32 and q4
 * within 1e-4 (measured ≤ 1.5e-5 on wasm), int8 within 1 (measured ≤ 6e-6; int8 logits jump at quantizer rounding
 * boundaries); WebGPU (float32 on SwiftShader) within 0.01 (measured ≤ 0.004).
 *
 * With CI=true a missing Chromium fails the test instead of skipping it; a browser without a WebGPU adapter skips
 * only the WebGPU case.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENERATE_LOGIT_TOLERANCES } from '@vblora/conformance';
import { injectModelFolder, mergeModelFolder } from '@vblora/onnx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  PRESENT,
  readExpectedLogits,
  readGenerations,
  TINY_LLAMA,
  type Generations,
} from './helpers/fixture.js';
import { bundlePage } from './helpers/bundle.js';
import { CHROMIUM, openPage, type PageSession } from './helpers/chromium.js';
import { tempDir } from './helpers/tmp.js';
import { maxLogitError } from './shared/greedy.js';
import type { PageJob, PageResult, PageStep } from './shared/page-job.js';

const CI = process.env['CI'] === 'true';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM && CI) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (.ci/run does)`);

type Dtype = PageStep['dtype'];
const TOLERANCE: Readonly<Record<'wasm' | 'webgpu', Readonly<Record<Dtype, number>>>> = GENERATE_LOGIT_TOLERANCES;

describe.runIf(PRESENT && HAVE_CHROMIUM)(
  'transformers.js generate on tiny-llama folders equals PEFT (headless Chromium)',
  () => {
    const out = PRESENT ? tempDir('chromium') : '';
    const folders = {
      base: TINY_LLAMA,
      merged: join(out, 'merged-a'),
      static: join(out, 'static-a'),
      hot: join(out, 'hot'),
    };
    let gen: Generations;
    let logits: ReturnType<typeof readExpectedLogits>;
    let session: PageSession;

    beforeAll(async () => {
      gen = readGenerations();
      logits = readExpectedLogits();
      await mergeModelFolder(ADAPTERS.a, TINY_LLAMA, folders.merged, { skipUnsupported: true });
      await injectModelFolder(ADAPTERS.a, TINY_LLAMA, folders.static);
      await injectModelFolder(ADAPTERS.b, TINY_LLAMA, folders.hot, { hotSwap: true });
      const bundle = await bundlePage(fileURLToPath(new URL('./browser/page.ts', import.meta.url)));
      session = await openPage(bundle, folders);
      await session.page.waitForFunction(() => 'runTinyLlamaJob' in globalThis);
    }, 240_000);
    afterAll(async () => {
      await session?.close();
    });

    const job = (device: PageJob['device'], steps: PageStep[]): PageJob => ({
      device,
      prompts: gen.prompts,
      maxNewTokens: gen.max_new_tokens,
      adapters: { a: '/models/base/adapters/vblora-a/', b: '/models/base/adapters/vblora-b/' },
      steps,
    });

    const run = async (j: PageJob): Promise<PageResult> => {
      const result = (await session.page.evaluate(
        (arg) =>
          (globalThis as unknown as { runTinyLlamaJob: (j: PageJob) => Promise<PageResult> }).runTinyLlamaJob(arg),
        j,
      )) as PageResult;
      expect(result.error).toBeUndefined();
      expect(result.results).toHaveLength(j.steps.length);
      return result;
    };

    /** Tokens exact and logits within tolerance, per step (per row for a per-row selection). */
    const check = (j: PageJob, result: PageResult): void => {
      j.steps.forEach((step, i) => {
        const r = result.results[i]!;
        const what = `${step.folder} ${step.dtype} use=${JSON.stringify(step.use)} ${step.case}`;
        const runs = typeof step.expect === 'string' ? r.sequences.map(() => step.expect as string) : step.expect;
        runs.forEach((run, row) => {
          const key = `${step.dtype}.${run}`;
          expect(r.sequences[row], `${what}: row ${row} tokens (${key})`).toEqual(
            gen.runs[key]![step.case].sequences[row],
          );
          const want = logits.get(`${key}.${step.case}`)!;
          const [, batch, vocab] = want.shape as [number, number, number];
          const err = maxLogitError(
            r.logits.map((l) => Float32Array.from(l)),
            want.data,
            batch,
            vocab,
            [row],
          );
          expect(err, `${what}: row ${row} logits`).toBeLessThanOrEqual(TOLERANCE[j.device][step.dtype]);
        });
      });
    };

    it(
      "wasm: base, merged and built-in folders give PEFT's tokens; one hot-swap model switches a → b → none → a",
      { timeout: 240_000 },
      async () => {
        const steps: PageStep[] = [
          { folder: 'base', dtype: 'fp32', case: 'single', expect: 'base' },
          { folder: 'base', dtype: 'fp32', case: 'batch', expect: 'base' },
          { folder: 'merged', dtype: 'fp32', case: 'single', expect: 'vblora-a' },
          { folder: 'merged', dtype: 'fp32', case: 'batch', expect: 'vblora-a' },
          ...(['fp32', 'q4', 'int8'] as const).map((dtype): PageStep => ({
            folder: 'static',
            dtype,
            case: 'batch',
            expect: 'vblora-a',
          })),
          ...(['fp32', 'q4', 'int8'] as const).flatMap((dtype): PageStep[] => [
            { folder: 'hot', dtype, use: 'a', case: 'single', expect: 'vblora-a' },
            { folder: 'hot', dtype, use: 'a', case: 'batch', expect: 'vblora-a' },
            { folder: 'hot', dtype, use: 'b', case: 'batch', expect: 'vblora-b' },
            { folder: 'hot', dtype, use: null, case: 'batch', expect: 'base' },
            { folder: 'hot', dtype, use: 'a', case: 'batch', expect: 'vblora-a' },
          ]),
          {
            folder: 'hot',
            dtype: 'fp32',
            use: ['a', 'b', null],
            case: 'batch',
            expect: ['vblora-a', 'vblora-b', 'base'],
          },
        ];
        const j = job('wasm', steps);
        const result = await run(j);
        check(j, result);
        // the controller read the hot-swap files' metadata with Range requests, never the whole file
        const hotFile = session.requests.filter((r) => r.startsWith('GET /models/hot/onnx/model_q4.onnx'));
        expect(hotFile.some((r) => r.includes(' bytes='))).toBe(true);
        // nothing was fetched from anywhere but the local server (onnxruntime-web's .wasm included)
        expect(session.pageUrls.filter((u) => !u.startsWith(`${session.origin}/`) && !/^(blob|data):/.test(u))).toEqual(
          [],
        );
        expect(session.requests.some((r) => /^GET \/ort\/.*\.wasm/.test(r))).toBe(true);
      },
    );

    it(
      'webgpu (SwiftShader): one hot-swap model switches a → b → none (fp32), a → none (q4)',
      { timeout: 240_000 },
      async (ctx) => {
        const hasGpu = await session.page.evaluate(
          async () => (await (navigator as Navigator & { gpu?: GPU }).gpu?.requestAdapter()) != null,
        );
        if (!hasGpu) return ctx.skip('headless Chromium exposes no WebGPU adapter here');
        const steps: PageStep[] = [
          { folder: 'base', dtype: 'fp32', case: 'batch', expect: 'base' },
          { folder: 'hot', dtype: 'fp32', use: 'a', case: 'batch', expect: 'vblora-a' },
          { folder: 'hot', dtype: 'fp32', use: 'b', case: 'batch', expect: 'vblora-b' },
          { folder: 'hot', dtype: 'fp32', use: null, case: 'batch', expect: 'base' },
          { folder: 'hot', dtype: 'q4', use: 'a', case: 'batch', expect: 'vblora-a' },
          { folder: 'hot', dtype: 'q4', use: null, case: 'batch', expect: 'base' },
        ];
        const j = job('webgpu', steps);
        const result = await run(j);
        expect(result.device).toBe('webgpu');
        check(j, result);
      },
    );
  },
);
