/**
 * transformers.js `generate` with adapters from an `AdapterStore` (@vblora/onnx): a lease acquired for a batch's
 * rows, run through `withAdapter(rows, fn, { lease })` on the tiny Llama fixture's hot-swap folder (fp32), gives
 * each row PEFT's own greedy tokens for that row's adapter, as the per-row selection of loaded adapters does.
 *
 * Accuracy: token ids exact; logits of every step within 1e-4 absolute of PEFT's (the same bound as
 * generate-node.test.ts's fp32 runs).
 */
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  env,
  LogLevel,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import { AdapterError } from '@vblora/core';
import { AdapterStore, addAdapterDir, injectModelFolder } from '@vblora/onnx';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdapterSelectionError, attachAdapters } from '../src/node.js';
import {
  ADAPTERS,
  PRESENT,
  readExpectedLogits,
  readGenerations,
  TINY_LLAMA,
  type Generations,
} from './helpers/fixture.js';
import { tempDir } from './helpers/tmp.js';
import { greedy, maxLogitError } from './shared/greedy.js';

env.allowRemoteModels = false;
env.useFSCache = false;
env.logLevel = LogLevel.NONE;

const LOGIT_TOLERANCE = 1e-4;

describe.runIf(PRESENT)('attachAdapters with an AdapterStore lease (Node, fp32)', () => {
  const hot = PRESENT ? join(tempDir('store-lease'), 'hot') : '';
  let gen: Generations;
  let logits: ReturnType<typeof readExpectedLogits>;
  let tokenizer: PreTrainedTokenizer;
  let model: PreTrainedModel;

  beforeAll(async () => {
    gen = readGenerations();
    logits = readExpectedLogits();
    tokenizer = await AutoTokenizer.from_pretrained(TINY_LLAMA);
    await injectModelFolder(ADAPTERS.b, TINY_LLAMA, hot, { hotSwap: true });
    model = await AutoModelForCausalLM.from_pretrained(hot, { dtype: 'fp32', device: 'cpu' });
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it("rows [a, b, none] from a lease: each row gives PEFT's tokens for its adapter", async () => {
    const adapters = await attachAdapters(model, { folder: hot });
    const store = new AdapterStore(adapters.info, { maxStoredBytes: 2 ** 26, maxComposedBytes: 2 ** 26 });
    await addAdapterDir(store, 'a', ADAPTERS.a);
    await addAdapterDir(store, 'b', ADAPTERS.b);
    const rows = [
      ['a', 'vblora-a'],
      ['b', 'vblora-b'],
      [null, 'base'],
    ] as const;
    const ids = rows.map(([n]) => n);
    const lease = await store.acquire(ids);
    const r = await adapters
      .withAdapter(ids, () => greedy(model, tokenizer, gen.prompts.batch, gen.max_new_tokens), { lease })
      .finally(() => lease.release());
    rows.forEach(([, run], i) => {
      expect(r.sequences[i], `row ${i}: ${run}`).toEqual(gen.runs[`fp32.${run}`]!.batch.sequences[i]);
      const want = logits.get(`fp32.${run}.batch`)!;
      const [, batch, vocab] = want.shape as [number, number, number];
      expect(maxLogitError(r.logits, want.data, batch, vocab, [i]), `row ${i}: logits`).toBeLessThanOrEqual(
        LOGIT_TOLERANCE,
      );
    });
    expect(adapters.names).toEqual([]); // nothing was loaded into the controller
    expect(adapters.active).toBeNull(); // withAdapter restored the selection
    expect(store.stats()).toMatchObject({ composes: 2, pinnedCount: 0 });

    // an id the lease does not hold, and a released lease
    const onlyA = await store.acquire(['a']);
    expect(() => adapters.use(['a', 'b', null], { lease: onlyA })).toThrow(AdapterSelectionError);
    adapters.use('a', { lease: onlyA });
    onlyA.release();
    await expect(greedy(model, tokenizer, gen.prompts.single, 2)).rejects.toThrow(AdapterError);
    expect(() => adapters.use('a', { lease: onlyA })).toThrow(/was released/);
    adapters.dispose();
  });
});
