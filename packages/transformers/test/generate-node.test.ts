/**
 * End to end in Node: transformers.js 4.3.1 (`AutoModelForCausalLM.generate`, onnxruntime-node, CPU) on the tiny
 * Llama fixture and on folders written from it by `mergeModelFolder` / `injectModelFolder`, against PEFT's own
 * greedy generations (20 new tokens; one prompt, and a left-padded batch of three).
 *
 * Accuracy: token ids exact. Logits of every step against PEFT's (fp32) or the fixture's references (q4: dequantized
 * weights plus the float32 adapter; int8: computed as onnxruntime does): fp32 and q4 within 1e-4 absolute (measured
 * ≤ 1.5e-5), int8 within 1 (measured ≤ 5e-6 except one step at 0.058: int8 logits jump at quantizer rounding
 * boundaries). A run without adapter gives the plain base folder's logits bit for bit. The fixture's smallest
 * top-1/top-2 margin is 0.038 (summary.json).
 *
 * Offline: `env.allowRemoteModels = false`, `env.useFSCache = false`, absolute folder paths.
 */
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  env,
  LogLevel,
  pipeline,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import { GENERATE_LOGIT_TOLERANCES } from '@vblora/conformance';
import { toF32 } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { injectModelFolder, mergeModelFolder } from '@vblora/onnx';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdapterSelectionError, attachAdapters, ModelSessionError } from '../src/node.js';
import {
  ADAPTERS,
  PRESENT,
  readExpectedLogits,
  readGenerations,
  TINY_LLAMA,
  type Generations,
} from './helpers/fixture.js';
import { tempDir } from './helpers/tmp.js';
import { greedy, maxLogitError, type GreedyRun } from './shared/greedy.js';

env.allowRemoteModels = false;
env.useFSCache = false;
env.logLevel = LogLevel.NONE; // tests are quiet (some runs here fail on purpose)

type Dtype = 'fp32' | 'q4' | 'int8';
type Case = 'single' | 'batch';
const CASES: readonly Case[] = ['single', 'batch'];
// int8 logits jump where an activation crosses a rounding boundary of DynamicQuantizeLinear (up to ~0.7 on this
// fixture, its README says); measured here ≤ 5e-6 but for one step at 0.058, with the plain base folder too
const LOGIT_TOLERANCE: Readonly<Record<Dtype, number>> = GENERATE_LOGIT_TOLERANCES.node;

describe.runIf(PRESENT)('transformers.js generate on tiny-llama folders equals PEFT (Node)', () => {
  const out = PRESENT ? tempDir('generate') : '';
  const folders = {
    merged: join(out, 'merged-a'),
    static: join(out, 'static-a'),
    hot: join(out, 'hot'),
    hotTopk: join(out, 'hot-topk'),
  };
  let gen: Generations;
  let logits: ReturnType<typeof readExpectedLogits>;
  let tokenizer: PreTrainedTokenizer;
  const models: PreTrainedModel[] = [];

  beforeAll(async () => {
    gen = readGenerations();
    logits = readExpectedLogits();
    tokenizer = await AutoTokenizer.from_pretrained(TINY_LLAMA);
    // q4/int8 cannot be merged without requantizing (refused by default): the merged folder holds fp32 only
    await mergeModelFolder(ADAPTERS.a, TINY_LLAMA, folders.merged, { skipUnsupported: true });
    await injectModelFolder(ADAPTERS.a, TINY_LLAMA, folders.static);
    // adapter b targets every module adapter a does and more: its branches serve both
    await injectModelFolder(ADAPTERS.b, TINY_LLAMA, folders.hot, { hotSwap: true });
    await injectModelFolder(ADAPTERS.b, TINY_LLAMA, folders.hotTopk, { hotSwap: true, hotSwapVariant: 'topk' });
  });
  afterAll(async () => {
    for (const m of models) await m.dispose();
  });

  const load = async (dir: string, dtype: Dtype): Promise<PreTrainedModel> => {
    const m = await AutoModelForCausalLM.from_pretrained(dir, { dtype, device: 'cpu' });
    models.push(m);
    return m;
  };

  /** Generates both cases and checks tokens (exact) and logits (tolerance) against run `run`. */
  const expectRun = async (model: PreTrainedModel, run: string, dtype: Dtype): Promise<GreedyRun[]> => {
    const results: GreedyRun[] = [];
    for (const c of CASES) {
      const r = await greedy(model, tokenizer, gen.prompts[c], gen.max_new_tokens);
      expect(r.inputIds, `${run} ${c}: tokenizer input ids`).toEqual(gen.inputs[c].input_ids);
      expect(r.attentionMask, `${run} ${c}: attention mask (left padding)`).toEqual(gen.inputs[c].attention_mask);
      expect(r.sequences, `${run} ${c}: tokens`).toEqual(gen.runs[run]![c].sequences);
      const want = logits.get(`${run}.${c}`)!;
      const [steps, batch, vocab] = want.shape as [number, number, number];
      expect(r.logits).toHaveLength(steps);
      expect(maxLogitError(r.logits, want.data, batch, vocab), `${run} ${c}: logits`).toBeLessThanOrEqual(
        LOGIT_TOLERANCE[dtype],
      );
      results.push(r);
    }
    return results;
  };

  it("the base folder (fp32) gives PEFT's base tokens, ≥ 16 new, single and left-padded batch", async () => {
    expect(gen.max_new_tokens).toBeGreaterThanOrEqual(16);
    expect(gen.prompts.batch.length).toBeGreaterThan(1);
    expect(gen.inputs.batch.attention_mask.some((row) => row[0] === 0)).toBe(true); // really left-padded
    await expectRun(await load(TINY_LLAMA, 'fp32'), 'fp32.base', 'fp32');
  });

  for (const dtype of ['q4', 'int8'] as const) {
    it(`the base folder (${dtype}) gives the reference base tokens`, async () => {
      await expectRun(await load(TINY_LLAMA, dtype), `${dtype}.base`, dtype);
    });
  }

  it("the merged folder (mergeModelFolder, fp32) gives PEFT's adapter-a tokens", async () => {
    await expectRun(await load(folders.merged, 'fp32'), 'fp32.vblora-a', 'fp32');
  });

  for (const dtype of ['fp32', 'q4', 'int8'] as const) {
    it(`the injected folder (adapter built in, ${dtype}) gives ${dtype === 'fp32' ? "PEFT's" : 'the reference'} adapter-a tokens`, async () => {
      await expectRun(await load(folders.static, dtype), `${dtype}.vblora-a`, dtype);
    });
  }

  for (const dtype of ['fp32', 'q4', 'int8'] as const) {
    it(`one loaded hot-swap model (${dtype}): a → b → none → a, each gives its own tokens`, async () => {
      const model = await load(folders.hot, dtype);
      const adapters = await attachAdapters(model, { folder: folders.hot });
      expect(adapters.info.variant).toBe('lowrank');
      await adapters.load('a', ADAPTERS.a);
      await adapters.load('b', ADAPTERS.b);
      expect(adapters.names).toEqual(['a', 'b']);
      const session = model.sessions['model'];
      const plain = await expectRun(await load(TINY_LLAMA, dtype), `${dtype}.base`, dtype);
      for (const [name, run] of [
        ['a', 'vblora-a'],
        ['b', 'vblora-b'],
        [null, 'base'],
        ['a', 'vblora-a'],
      ] as const) {
        adapters.use(name);
        const got = await expectRun(model, `${dtype}.${run}`, dtype);
        // no adapter: the branches add zeros, so the logits are the plain base model's, bit for bit
        if (name === null) got.forEach((r, i) => expect(r.logits).toEqual(plain[i]!.logits));
      }
      expect(model.sessions['model']).toBe(session); // never reloaded
      adapters.dispose();
    });
  }

  it('the topk hot-swap variant (bank and top-k weights as inputs, composed in the graph): a → b → none (q4)', async () => {
    const model = await load(folders.hotTopk, 'q4');
    const adapters = await attachAdapters(model, { folder: folders.hotTopk });
    expect(adapters.info.variant).toBe('topk');
    await adapters.load('a', ADAPTERS.a);
    await adapters.load('b', ADAPTERS.b);
    for (const [name, run] of [
      ['a', 'vblora-a'],
      ['b', 'vblora-b'],
      [null, 'base'],
    ] as const) {
      adapters.use(name);
      await expectRun(model, `q4.${run}`, 'q4');
    }
    // a (vector_length 16) and b (32) cannot share one run of a topk model
    adapters.use(['a', 'b', 'a']);
    await expect(greedy(model, tokenizer, gen.prompts.batch, 2)).rejects.toThrow(/vector lengths differ/);
    adapters.dispose();
  });

  for (const dtype of ['fp32', 'q4'] as const) {
    // int8 quantizes each layer's input over the whole batch (one scale), so its rows are not independent
    it(`per-row adapters (${dtype}): batch rows [a, b, none] each give that row of its own run`, async () => {
      const model = await load(folders.hot, dtype);
      const adapters = await attachAdapters(model, { folder: folders.hot });
      await adapters.load('a', ADAPTERS.a);
      await adapters.load('b', ADAPTERS.b);
      const rows = [
        ['a', 'vblora-a'],
        ['b', 'vblora-b'],
        [null, 'base'],
      ] as const;
      adapters.use(rows.map(([n]) => n));
      const r = await greedy(model, tokenizer, gen.prompts.batch, gen.max_new_tokens);
      rows.forEach(([, run], i) => {
        expect(r.sequences[i], `row ${i}: ${run}`).toEqual(gen.runs[`${dtype}.${run}`]!.batch.sequences[i]);
        const want = logits.get(`${dtype}.${run}.batch`)!;
        const [, batch, vocab] = want.shape as [number, number, number];
        expect(maxLogitError(r.logits, want.data, batch, vocab, [i]), `row ${i}: logits`).toBeLessThanOrEqual(
          LOGIT_TOLERANCE[dtype],
        );
      });
      // a selection for 3 rows cannot serve a single prompt
      await expect(greedy(model, tokenizer, gen.prompts.single, 2)).rejects.toThrow(AdapterSelectionError);
      adapters.dispose();
    });
  }

  it('withAdapter serialises concurrent generations that use different adapters', async () => {
    const model = await load(folders.hot, 'fp32');
    const adapters = await attachAdapters(model, { folder: folders.hot });
    await adapters.load('a', ADAPTERS.a);
    await adapters.load('b', ADAPTERS.b);
    const [ra, rb, rn] = await Promise.all([
      adapters.withAdapter('a', () => greedy(model, tokenizer, gen.prompts.batch, gen.max_new_tokens)),
      adapters.withAdapter('b', () => greedy(model, tokenizer, gen.prompts.batch, gen.max_new_tokens)),
      adapters.withAdapter(null, () => greedy(model, tokenizer, gen.prompts.batch, gen.max_new_tokens)),
    ]);
    expect(ra!.sequences).toEqual(gen.runs['fp32.vblora-a']!.batch.sequences);
    expect(rb!.sequences).toEqual(gen.runs['fp32.vblora-b']!.batch.sequences);
    expect(rn!.sequences).toEqual(gen.runs['fp32.base']!.batch.sequences);
    expect(adapters.active).toBe(null);
    // inside withAdapter, use() would switch under its runs
    await adapters.withAdapter('a', async () => {
      expect(adapters.active).toBe('a');
      expect(() => adapters.use('b')).toThrow(expect.objectContaining({ rule: 'busy' }) as Error);
    });
    adapters.dispose();
  });

  it('a text-generation pipeline takes adapters too; an adapter that would compose to NaN is refused', async () => {
    const pipe = await pipeline('text-generation', folders.hot, { dtype: 'fp32', device: 'cpu' });
    models.push(pipe.model);
    const adapters = await attachAdapters(pipe, { folder: folders.hot });
    await adapters.load('b', ADAPTERS.b);
    adapters.use('b');
    const [out] = (await pipe(gen.prompts.single[0]!, { max_new_tokens: gen.max_new_tokens, do_sample: false })) as {
      generated_text: string;
    }[];
    expect(out!.generated_text).toBe(gen.runs['fp32.vblora-b']!.single.text[0]);
    const a = (await readAdapterDir(ADAPTERS.a)).adapter;
    const bank = Float32Array.from(toF32(a.bank).data);
    bank[5] = Number.NaN;
    await expect(
      adapters.load('nan', { ...a, bank: { dtype: 'f32', shape: a.bank.shape, data: bank } }),
    ).rejects.toThrow(/would compose to NaN/);
    expect(adapters.names).toEqual(['b']);
    adapters.dispose();
  });

  it("dispose puts the model's own session back; errors are typed", async () => {
    const model = await load(folders.hot, 'q4');
    const own = model.sessions['model'];
    const adapters = await attachAdapters(model, { folder: folders.hot });
    expect(model.sessions['model']).not.toBe(own);
    await expect(attachAdapters(model, { folder: folders.hot })).rejects.toMatchObject({
      name: 'ModelSessionError',
      rule: 'attached',
    });
    expect(() => adapters.use('nope')).toThrow(
      expect.objectContaining({ name: 'AdapterSelectionError', rule: 'unknown' }) as Error,
    );
    adapters.dispose();
    expect(model.sessions['model']).toBe(own);
    expect(() => adapters.use(null)).toThrow(expect.objectContaining({ rule: 'disposed' }) as Error);
    // the plain session lists the adapter inputs, which transformers.js cannot feed
    await expect(greedy(model, tokenizer, gen.prompts.single, 2)).rejects.toThrow(
      /Missing the following inputs: vblora\./,
    );

    // a session created from another file than the one named: its inputs are not the described ones
    const base = await load(TINY_LLAMA, 'fp32');
    await expect(attachAdapters(base, { modelFile: join(folders.hot, 'onnx', 'model.onnx') })).rejects.toMatchObject({
      rule: 'inputs',
    });
    const built = await load(folders.static, 'fp32');
    await expect(attachAdapters(built, { folder: folders.static })).rejects.toMatchObject({
      name: 'ModelSessionError',
      rule: 'static',
    });
    await expect(attachAdapters(built, { folder: TINY_LLAMA })).rejects.toMatchObject({ rule: 'not-injected' });
    await expect(attachAdapters(built, {})).rejects.toBeInstanceOf(ModelSessionError);
  });
});
