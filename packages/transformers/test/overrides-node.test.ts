/**
 * Adapters that replace a base tensor (here a modules_to_save copy of `lm_head`, as PEFT saves it) in a hot-swap
 * folder: the controller reads the tensor's base value from the model file and feeds it whenever the adapter in use
 * does not replace it. The replacing adapter is adapter a with `lm_head.weight` scaled by 1.5, so its logits must be
 * exactly 1.5 × adapter a's (up to float32 rounding: within 1e-5 relative) and its tokens a's.
 * Accuracy: tokens exact; logits within 1e-5 relative to a's × 1.5, and within 1e-4 of PEFT's.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoModelForCausalLM, AutoTokenizer, env, LogLevel, type PreTrainedModel, type PreTrainedTokenizer } from '@huggingface/transformers';
import { readSafetensors, toF32, UnsupportedError, type VBLoRAAdapter } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { injectModelFolder } from '@vblora/onnx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachAdapters as attachWeb } from '../src/index.js';
import { attachAdapters } from '../src/node.js';
import { ADAPTERS, PRESENT, readGenerations, TINY_LLAMA, type Generations } from './helpers/fixture.js';
import { tempDir } from './helpers/tmp.js';
import { greedy } from './shared/greedy.js';

env.allowRemoteModels = false;
env.useFSCache = false;
env.logLevel = LogLevel.NONE;

describe.runIf(PRESENT)('adapters that replace base tensors, in a hot-swap folder (Node)', () => {
  const out = PRESENT ? tempDir('overrides') : '';
  const fp32Only = join(out, 'fp32-only');
  const hot = join(out, 'hot');
  let gen: Generations;
  let tokenizer: PreTrainedTokenizer;
  let scaled: VBLoRAAdapter;
  let model: PreTrainedModel;

  beforeAll(async () => {
    gen = readGenerations();
    tokenizer = await AutoTokenizer.from_pretrained(TINY_LLAMA);
    // the quantized variants hold lm_head quantized, which no adapter can replace: an fp32-only copy of the folder
    mkdirSync(join(fp32Only, 'onnx'), { recursive: true });
    for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(TINY_LLAMA, f), join(fp32Only, f));
    copyFileSync(join(TINY_LLAMA, 'onnx', 'model.onnx'), join(fp32Only, 'onnx', 'model.onnx'));
    const a = (await readAdapterDir(ADAPTERS.a)).adapter;
    const head = toF32(readSafetensors(readFileSync(join(TINY_LLAMA, 'model.safetensors'))).tensors.get('lm_head.weight')!);
    const data = Float32Array.from(head.data, (v) => v * 1.5);
    scaled = { ...a, name: 'scaled', extraTensors: new Map([['base_model.model.lm_head.weight', { dtype: 'f32', shape: head.shape, data }]]) };
    await injectModelFolder(scaled, fp32Only, hot, { hotSwap: true });
    model = await AutoModelForCausalLM.from_pretrained(hot, { dtype: 'fp32' });
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it('feeds the base lm_head unless the adapter replaces it; a mixed batch with it is refused', async () => {
    const adapters = await attachAdapters(model, { folder: hot });
    expect(adapters.info.overrides.map((o) => o.key)).toEqual(['lm_head.weight']);
    await adapters.load('a', ADAPTERS.a);
    await adapters.load('scaled', scaled);
    adapters.use('a');
    const ra = await greedy(model, tokenizer, gen.prompts.batch, gen.max_new_tokens);
    expect(ra.sequences).toEqual(gen.runs['fp32.vblora-a']!.batch.sequences);
    adapters.use('scaled');
    const rs = await greedy(model, tokenizer, gen.prompts.batch, gen.max_new_tokens);
    expect(rs.sequences).toEqual(ra.sequences); // scaling the head keeps every argmax
    let worst = 0;
    rs.logits.forEach((step, s) => step.forEach((v, i) => {
      const want = 1.5 * ra.logits[s]![i]!;
      worst = Math.max(worst, Math.abs(v - want) / Math.max(1, Math.abs(want)));
    }));
    expect(worst).toBeLessThanOrEqual(1e-5);
    adapters.use(null);
    expect((await greedy(model, tokenizer, gen.prompts.batch, gen.max_new_tokens)).sequences).toEqual(gen.runs['fp32.base']!.batch.sequences);
    adapters.use(['scaled', 'a', null]);
    await expect(greedy(model, tokenizer, gen.prompts.batch, 2)).rejects.toMatchObject({ name: 'AdapterSelectionError', rule: 'mixed-overrides' });
    adapters.dispose();
  });

  it('the universal entry refuses such a model with UnsupportedError (base values are read in Node only)', async () => {
    const bytes = new Uint8Array(readFileSync(join(hot, 'onnx', 'model.onnx')));
    await expect(attachWeb(model, { modelFile: bytes })).rejects.toBeInstanceOf(UnsupportedError);
  });
});
