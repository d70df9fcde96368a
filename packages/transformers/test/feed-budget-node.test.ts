/**
 * The stacked adapter inputs of a selection are sized by the adapters a user loads: they are checked against the
 * controller's memory budget (`maxMemoryBytes`) before they are allocated, as AdapterSession does.
 */
import { join } from 'node:path';
import { AutoModelForCausalLM, AutoTokenizer, env, LogLevel } from '@huggingface/transformers';
import { ResourceLimitError } from '@vblora/core';
import { injectModelFolder, stackedFeedBytes } from '@vblora/onnx';
import { describe, expect, it } from 'vitest';
import { attachAdapters } from '../src/node.js';
import { ADAPTERS, PRESENT, readGenerations, TINY_LLAMA } from './helpers/fixture.js';
import { tempDir } from './helpers/tmp.js';
import { greedy } from './shared/greedy.js';

env.allowRemoteModels = false;
env.useFSCache = false;
env.logLevel = LogLevel.NONE;

describe.runIf(PRESENT)('adapter feeds within the memory budget (Node)', () => {
  it("a budget below one selection's stacked inputs refuses the run with ResourceLimitError; a fitting one generates", async () => {
    const hot = join(tempDir('feed-budget'), 'hot');
    await injectModelFolder(ADAPTERS.a, TINY_LLAMA, hot, { hotSwap: true });
    const gen = readGenerations();
    const tokenizer = await AutoTokenizer.from_pretrained(TINY_LLAMA);
    const model = await AutoModelForCausalLM.from_pretrained(hot, { dtype: 'fp32' });
    try {
      const small = await attachAdapters(model, { folder: hot, maxMemoryBytes: 1024 });
      await small.load('a', ADAPTERS.a);
      small.use('a');
      const err = await greedy(model, tokenizer, gen.prompts.single, 2).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ResourceLimitError);
      expect((err as ResourceLimitError).limit).toBe('maxMemory');
      small.dispose();

      const fits = await attachAdapters(model, { folder: hot });
      await fits.load('a', ADAPTERS.a);
      fits.use('a');
      expect(stackedFeedBytes(fits.info, [null])).toBeGreaterThan(1024); // the small budget above really was too small
      const r = await greedy(model, tokenizer, gen.prompts.single, gen.max_new_tokens);
      expect(r.sequences).toEqual(gen.runs['fp32.vblora-a']!.single.sequences);
      fits.dispose();
    } finally {
      await model.dispose();
    }
  });
});
