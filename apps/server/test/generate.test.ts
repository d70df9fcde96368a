/**
 * `POST /generate` on the tiny Llama fixture (fp32, greedy): each answer's tokens against PEFT's recorded
 * generations and against transformers.js alone (one adapter, one prompt per run); concurrent requests with
 * different adapters batched into one run.
 *
 * Accuracy: token ids exact (the fixture's smallest top-1/top-2 logit margin is 0.038, summary.json).
 */
import { describe, expect, it } from 'vitest';
import { FIXTURE_ADAPTERS, PRESENT, readGenerations, tempDir } from './helpers/fixture.js';
import { sampleSum } from './helpers/prometheus.js';
import { generate, metrics, referenceTokens, testServer } from './helpers/server.js';
import { writeAdapterVariants } from '../src/index.js';

const gen = PRESENT ? readGenerations() : undefined;
const RUNS = [
  ['vblora-a', 'fp32.vblora-a'],
  ['vblora-b', 'fp32.vblora-b'],
  [null, 'fp32.base'],
] as const;

describe.runIf(PRESENT)('POST /generate', () => {
  it("one request per adapter (and none) gives PEFT's tokens and text", async () => {
    const app = await testServer();
    const prompt = gen!.prompts.single[0]!;
    for (const [id, run] of RUNS) {
      const r = await generate(app, { adapter_id: id, prompt, max_new_tokens: gen!.max_new_tokens });
      expect(r.status, `${id}`).toBe(200);
      expect(r.body.tokens, `${id}: tokens`).toEqual(gen!.runs[run]!.single.new_token_ids[0]);
      expect(r.body.text, `${id}: text`).toBe(gen!.runs[run]!.single.new_text[0]);
      expect(r.body.adapter_id).toBe(id);
    }
    // fewer new tokens: the first ones of the same run
    const short = await generate(app, { adapter_id: 'vblora-a', prompt, max_new_tokens: 3 });
    expect(short.body.tokens).toEqual(gen!.runs['fp32.vblora-a']!.single.new_token_ids[0]!.slice(0, 3));
    await app.close();
  });

  it("concurrent requests with different adapters run as one batch; each row gets its own adapter's tokens", async () => {
    const app = await testServer({ batchWindowMs: 200, maxBatchSize: 16 });
    const prompts = gen!.prompts.batch;
    const cases = prompts.flatMap((prompt, p) => RUNS.map(([id, run]) => ({ prompt, p, id, run })));
    const answers = await Promise.all(
      cases.map((c, i) =>
        // per-row max_new_tokens: the batch generates to the largest and cuts each row
        generate(app, { adapter_id: c.id, prompt: c.prompt, max_new_tokens: gen!.max_new_tokens - (i % 3) }),
      ),
    );
    const m = await metrics(app);
    expect(sampleSum(m, 'vblora_batch_size_count'), 'one batch').toBe(1);
    expect(sampleSum(m, 'vblora_batch_size_sum'), 'of every request').toBe(cases.length);
    const ref = await referenceTokens(
      app.vblora.modelFolder,
      FIXTURE_ADAPTERS,
      cases.map((c) => ({ adapterId: c.id, prompt: c.prompt })),
      gen!.max_new_tokens,
    );
    cases.forEach((c, i) => {
      const want = ref[i]!.slice(0, gen!.max_new_tokens - (i % 3));
      expect(answers[i]!.status).toBe(200);
      expect(answers[i]!.body.tokens, `${c.id} on prompt ${c.p}: transformers.js alone`).toEqual(want);
      // PEFT ran these prompts as one left-padded batch: its rows agree with each prompt run alone here
      expect(answers[i]!.body.tokens, `${c.id} on prompt ${c.p}: PEFT`).toEqual(
        gen!.runs[c.run]!.batch.new_token_ids[c.p]!.slice(0, want.length),
      );
    });
    await app.close();
  });

  it('twelve distinct adapters in one batch: each answer is its own adapter run alone', async () => {
    const dir = tempDir('variants');
    const ids = await writeAdapterVariants(`${FIXTURE_ADAPTERS}/vblora-b`, dir, 12);
    const app = await testServer({ adaptersDir: dir, batchWindowMs: 200, maxBatchSize: 16 });
    const prompt = gen!.prompts.single[0]!;
    const answers = await Promise.all(ids.map((id) => generate(app, { adapter_id: id, prompt, max_new_tokens: 8 })));
    const ref = await referenceTokens(
      app.vblora.modelFolder,
      dir,
      ids.map((id) => ({ adapterId: id, prompt })),
      8,
    );
    ids.forEach((id, i) => expect(answers[i]!.body.tokens, id).toEqual(ref[i]));
    // the variants are different adapters: not every one generates the same tokens
    expect(new Set(ref.map((t) => t.join())).size).toBeGreaterThan(1);
    const m = await metrics(app);
    expect(sampleSum(m, 'vblora_batch_size_count')).toBe(1);
    expect(sampleSum(m, 'vblora_adapter_cache_misses_total', { level: 'composed' })).toBe(ids.length);
    expect(sampleSum(m, 'vblora_compose_seconds_count')).toBe(ids.length);
    await app.close();
  });
});
