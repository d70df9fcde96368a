/**
 * Adapter eviction: many adapters through a composed-adapter budget that holds a few, under concurrent load, and a
 * request for an adapter at the moment it is evicted. Every answer is checked against transformers.js alone.
 *
 * Accuracy: token ids exact.
 */
import { AutoModelForCausalLM, AutoTokenizer, type Tensor } from '@huggingface/transformers';
import type { AdapterLease } from '@vblora/onnx';
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
  /** One adapter's composed bytes, as the server counts them (every variant has the same shapes). */
  let one = 0;
  const prompt = PRESENT ? readGenerations().prompts.single[0]! : '';

  it('16 adapters, room for 5 stored and 3 composed, 48 concurrent requests: every answer is its adapter alone', async () => {
    ids = await writeAdapterVariants(`${FIXTURE_ADAPTERS}/vblora-b`, dir, 16);
    // one adapter's composed bytes, as the server counts them
    const probe = await testServer({ adaptersDir: dir, templateAdapters: ['variant-0'] });
    expect((await generate(probe, { adapter_id: 'variant-0', prompt, max_new_tokens: 1 })).status).toBe(200);
    const pm = await metrics(probe);
    one = sampleSum(pm, 'vblora_adapters_composed_bytes');
    expect(one).toBeGreaterThan(0);
    // and one adapter's stored (top-k form) bytes: the probe preloaded all 16
    expect(sampleSum(pm, 'vblora_adapters_stored')).toBe(ids.length);
    const stored = sampleSum(pm, 'vblora_adapters_stored_bytes') / ids.length;
    await probe.close();

    const app = await testServer({
      adaptersDir: dir,
      templateAdapters: ['variant-0'],
      composedBytes: 3 * one,
      storedBytes: 5 * stored,
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
    expect(sampleSum(m, 'vblora_adapter_cache_evictions_total', { level: 'stored' })).toBeGreaterThan(0);
    expect(sampleSum(m, 'vblora_adapters_stored_bytes')).toBeLessThanOrEqual(5 * stored);
    // every composed adapter beyond the budget was dropped once its batch was done
    expect(sampleSum(m, 'vblora_adapters_composed_bytes')).toBeLessThanOrEqual(3 * one);
    expect(sampleSum(m, 'vblora_batch_size_sum')).toBe(order.length);
    expect(sampleSum(m, 'vblora_batch_size_count')).toBeLessThan(order.length); // batched
    await app.close();
  });

  it('a request for an adapter that is being evicted: it waits for the pinned one, then is composed again, right', async () => {
    const { folder } = await hotSwapFolder(TINY_LLAMA, [`${dir}/variant-0`], tempDir('hot'));
    const model = await AutoModelForCausalLM.from_pretrained(folder, { dtype: 'fp32', device: 'cpu' });
    const tokenizer = await AutoTokenizer.from_pretrained(folder);
    const controller = await attachAdapters(model, { folder });
    const catalog = new AdapterCatalog(dir);
    // one composed adapter's bytes, as the store counts them (every variant has the same shapes)
    const sizing = new AdapterPool(controller.info, catalog, createMetrics(), {
      storedBytes: 2 ** 30,
      composedBytes: 2 ** 30,
    });
    (await sizing.hold('variant-0')).release();
    (await sizing.acquire(['variant-0'])).release();
    const one = sizing.stats().composedBytes;
    expect(one).toBeGreaterThan(0);

    const m = createMetrics();
    const pool = new AdapterPool(controller.info, catalog, m, { storedBytes: 2 ** 30, composedBytes: one });
    const count = async (name: string): Promise<number> =>
      sampleSum(parsePrometheus(await m.registry.metrics()), name, { level: 'composed' });
    const [x, y] = ['variant-1', 'variant-2'];
    for (const id of [x, y]) (await pool.hold(id)).release();
    const tokensWith = async (id: string, lease: AdapterLease): Promise<number[]> => {
      const enc = tokenizer(prompt) as { input_ids: Tensor; attention_mask: Tensor };
      const out = (await controller.withAdapter(
        id,
        () => model.generate({ ...enc, max_new_tokens: NEW_TOKENS, do_sample: false }),
        { lease },
      )) as Tensor;
      return Array.from(out.data as BigInt64Array, Number).slice(enc.input_ids.dims[1]);
    };
    const ref = await referenceTokens(
      folder,
      dir,
      [x, y].map((adapterId) => ({ adapterId, prompt })),
      NEW_TOKENS,
    );
    expect(ref[0]).not.toEqual(ref[1]);

    (await pool.acquire([x])).release(); // X composed, then unpinned
    const leaseY = await pool.acquire([y]); // evicts X (its arrays now hold Y)
    expect(await count('vblora_adapter_cache_evictions_total')).toBe(1);
    // X requested while Y's batch runs: no room (Y is pinned), a typed refusal the batcher waits on
    await expect(pool.acquire([x])).rejects.toMatchObject({ name: 'ResourceLimitError', limit: 'maxComposedBytes' });
    expect(await tokensWith(y, leaseY)).toEqual(ref[1]);
    leaseY.release();
    // now X is composed again, into the arrays Y had: its own tokens, not Y's
    const leaseX = await pool.acquire([x]);
    expect(await count('vblora_adapter_cache_evictions_total')).toBe(2);
    expect(await count('vblora_adapter_cache_misses_total')).toBe(3);
    expect(await tokensWith(x, leaseX)).toEqual(ref[0]);
    // removed from the store (a stored-level eviction) while a lease holds it: the lease still runs it
    pool.store.remove(x);
    expect(await tokensWith(x, leaseX)).toEqual(ref[0]);
    leaseX.release();
    expect(pool.stats()).toMatchObject({ composedCount: 0, pinnedCount: 0, composedBytes: 0 });
    controller.dispose();
    await model.dispose();
  });

  it('through the server: requests alternating between two adapters with room for one composed', async () => {
    const app = await testServer({
      adaptersDir: dir,
      templateAdapters: ['variant-0'],
      composedBytes: one, // a batch of both runs in halves; the next batch waits for the running one's pins
      maxBatchSize: 4,
      batchWindowMs: 5,
    });
    const order = ['variant-3', 'variant-4', 'variant-3', 'variant-4', 'variant-3', null, 'variant-4', 'variant-3'];
    const answers = await Promise.all(
      order.map((id) => generate(app, { adapter_id: id, prompt, max_new_tokens: NEW_TOKENS })),
    );
    const ref = await referenceTokens(
      app.vblora.modelFolder,
      dir,
      order.map((adapterId) => ({ adapterId, prompt })),
      NEW_TOKENS,
    );
    order.forEach((id, i) => {
      expect(answers[i]!.status, `${id}`).toBe(200);
      expect(answers[i]!.body.tokens, `${id}`).toEqual(ref[i]);
    });
    const m = await metrics(app);
    expect(sampleSum(m, 'vblora_adapter_cache_evictions_total', { level: 'composed' })).toBeGreaterThan(0);
    expect(sampleSum(m, 'vblora_adapters_composed_bytes')).toBeLessThanOrEqual(one);
    await app.close();
  });
});
