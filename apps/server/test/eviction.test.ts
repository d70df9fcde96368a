/**
 * Adapter eviction: many adapters through a composed-adapter budget that holds a few, under concurrent load, and a
 * request for an adapter at the moment it is evicted. Every answer is checked against transformers.js alone.
 *
 * Accuracy: token ids exact.
 */
import { AutoModelForCausalLM, AutoTokenizer } from '@huggingface/transformers';
import { attachAdapters } from '@vblora/transformers/node';
import { describe, expect, it } from 'vitest';
import { AdapterCatalog } from '../src/adapter-catalog.js';
import { AdapterPool } from '../src/adapter-pool.js';
import { hotSwapFolder } from '../src/hot-folder.js';
import { createMetrics } from '../src/metrics.js';
import { writeAdapterVariants } from '../src/index.js';
import { FIXTURE_ADAPTERS, PRESENT, TINY_LLAMA, readGenerations, tempDir } from './helpers/fixture.js';
import { parsePrometheus, sampleSum } from './helpers/prometheus.js';
import { generate, metrics, referenceTokens, testServer } from './helpers/server.js';

const NEW_TOKENS = 6;

describe.runIf(PRESENT)('eviction', () => {
  const dir = PRESENT ? tempDir('variants') : '';
  let ids: string[] = [];
  const prompt = PRESENT ? readGenerations().prompts.single[0]! : '';

  it('16 adapters, room for 3 composed, 48 concurrent requests: every answer is its adapter alone', async () => {
    ids = await writeAdapterVariants(`${FIXTURE_ADAPTERS}/vblora-b`, dir, 16);
    // one adapter's composed bytes, as the server counts them
    const probe = await testServer({ adaptersDir: dir, templateAdapters: ['variant-0'] });
    expect((await generate(probe, { adapter_id: 'variant-0', prompt, max_new_tokens: 1 })).status).toBe(200);
    const one = sampleSum(await metrics(probe), 'vblora_adapters_composed_bytes');
    expect(one).toBeGreaterThan(0);
    await probe.close();

    const app = await testServer({
      adaptersDir: dir,
      templateAdapters: ['variant-0'],
      composedBytes: 3 * one,
      maxBatchSize: 4,
      batchWindowMs: 2,
    });
    const order = Array.from({ length: 48 }, (_, i) => ids[(i * 7) % ids.length]!); // each id 3 times, spread out
    const answers = await Promise.all(
      order.map((id) => generate(app, { adapter_id: id, prompt, max_new_tokens: NEW_TOKENS })),
    );
    const ref = await referenceTokens(
      app.vblora.modelFolder,
      dir,
      ids.map((id) => ({ adapterId: id, prompt })),
      NEW_TOKENS,
    );
    order.forEach((id, i) => {
      expect(answers[i]!.status, id).toBe(200);
      expect(answers[i]!.body.tokens, id).toEqual(ref[ids.indexOf(id)]);
    });
    expect(new Set(ref.map((t) => t.join())).size).toBeGreaterThan(1);
    const m = await metrics(app);
    const misses = sampleSum(m, 'vblora_adapter_cache_misses_total', { level: 'composed' });
    const evictions = sampleSum(m, 'vblora_adapter_cache_evictions_total', { level: 'composed' });
    expect(misses, 'evicted adapters were composed again').toBeGreaterThan(ids.length);
    expect(evictions).toBeGreaterThan(0);
    expect(sampleSum(m, 'vblora_adapter_cache_hits_total', { level: 'composed' }) + misses).toBe(order.length);
    // every composed adapter beyond the budget was dropped once its batch was done
    expect(sampleSum(m, 'vblora_adapters_composed_bytes')).toBeLessThanOrEqual(3 * one);
    expect(sampleSum(m, 'vblora_batch_size_sum')).toBe(order.length);
    expect(sampleSum(m, 'vblora_batch_size_count')).toBeLessThan(order.length); // batched
    await app.close();
  });

  it('a request for an adapter that is being evicted: pinned first, it stays; evicted first, it is composed again', async () => {
    const { folder } = await hotSwapFolder(TINY_LLAMA, [`${dir}/variant-0`], tempDir('hot'));
    const model = await AutoModelForCausalLM.from_pretrained(folder, { dtype: 'fp32', device: 'cpu' });
    const controller = await attachAdapters(model, { folder });
    const m = createMetrics();
    // room for exactly one composed adapter (all variants have the same size)
    const sizing = new AdapterPool(controller, new AdapterCatalog(dir), createMetrics(), {
      storedBytes: 2 ** 30,
      composedBytes: 2 ** 30,
    });
    (await sizing.pin('variant-0')).release();
    const one = sizing.stats().composedBytes;
    controller.unload('variant-0');
    const pool = new AdapterPool(controller, new AdapterCatalog(dir), m, { storedBytes: 2 ** 30, composedBytes: one });
    const count = async (name: string): Promise<number> =>
      sampleSum(parsePrometheus(await m.registry.metrics()), name, { level: 'composed' });

    // X composed and released; a request pins X before Y's compose (which would evict X) finishes
    (await pool.pin('variant-1')).release();
    const y = pool.pin('variant-2');
    const x = await pool.pin('variant-1'); // a hit: X is pinned now
    const yPin = await y; // Y composed: over budget, but X is pinned, so nothing is evicted
    expect(await count('vblora_adapter_cache_evictions_total')).toBe(0);
    expect(controller.names).toEqual(expect.arrayContaining(['variant-1', 'variant-2']));
    expect(pool.stats()).toMatchObject({ composedCount: 2, pinned: 2 });
    x.release(); // X is the least recently used unpinned adapter: evicted now
    expect(controller.names).toEqual(['variant-2']);
    expect(await count('vblora_adapter_cache_evictions_total')).toBe(1);

    // X requested again right after its eviction: composed again (a miss), Y evicted once released
    const x2 = await pool.pin('variant-1');
    expect(await count('vblora_adapter_cache_misses_total')).toBe(3);
    yPin.release();
    expect(controller.names).toEqual(['variant-1']);
    expect(await count('vblora_adapter_cache_evictions_total')).toBe(2);
    // the re-composed X runs: its tokens are X's alone
    controller.use('variant-1');
    const tokenizer = await AutoTokenizer.from_pretrained(folder);
    const enc = tokenizer(prompt) as { input_ids: { dims: number[] } };
    const out = (await model.generate({ ...enc, max_new_tokens: NEW_TOKENS, do_sample: false })) as {
      data: BigInt64Array;
    };
    x2.release();
    const [ref] = await referenceTokens(folder, dir, [{ adapterId: 'variant-1', prompt }], NEW_TOKENS);
    expect(Array.from(out.data, Number).slice(enc.input_ids.dims[1])).toEqual(ref);
    expect(pool.stats()).toMatchObject({ composedCount: 1, pinned: 0, composedBytes: one });
    controller.dispose();
    await model.dispose();
  });
});
