/**
 * Adapters that replace a base tensor (here a modules_to_save copy of `lm_head`, as PEFT saves it) in a hot-swap
 * folder: the controller reads the tensor's base value from the model file and feeds it whenever the adapter in use
 * does not replace it. The replacing adapter is adapter a with `lm_head.weight` scaled by 1.5, so its logits must be
 * exactly 1.5 × adapter a's (up to float32 rounding: within 1e-5 relative) and its tokens a's. The universal entry
 * reads the base value by walking the file (bytes, or a URL served from 127.0.0.1 with its weights in an external
 * data file) and must feed exactly what the Node entry feeds.
 * Accuracy: tokens exact; logits within 1e-5 relative to a's × 1.5, and within 1e-4 of PEFT's; universal entry vs
 * Node entry: base values bit for bit, tokens and logits exact.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  env,
  LogLevel,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import { readSafetensors, ResourceLimitError, toF32, type HostTensor, type VBLoRAAdapter } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import {
  decodeOnnxModel,
  encodeOnnxModel,
  injectModelFolder,
  readOnnxModel,
  writeOnnxModel,
  type InjectedOverride,
} from '@vblora/onnx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webModelFile } from '../src/attach-web.js';
import {
  attachAdapters as attachWeb,
  ModelSessionError,
  readModelInjection,
  type AdapterController,
} from '../src/index.js';
import { attachAdapters } from '../src/node.js';
import { overrideDefaultsNode } from '../src/override-defaults-node.js';
import { ADAPTERS, PRESENT, readGenerations, TINY_LLAMA, type Generations } from './helpers/fixture.js';
import { serveFolder, type FolderServer } from './helpers/http-folder.js';
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
    for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'])
      copyFileSync(join(TINY_LLAMA, f), join(fp32Only, f));
    copyFileSync(join(TINY_LLAMA, 'onnx', 'model.onnx'), join(fp32Only, 'onnx', 'model.onnx'));
    const a = (await readAdapterDir(ADAPTERS.a)).adapter;
    const head = toF32(
      readSafetensors(readFileSync(join(TINY_LLAMA, 'model.safetensors'))).tensors.get('lm_head.weight')!,
    );
    const data = Float32Array.from(head.data, (v) => v * 1.5);
    scaled = {
      ...a,
      name: 'scaled',
      extraTensors: new Map([['base_model.model.lm_head.weight', { dtype: 'f32', shape: head.shape, data }]]),
    };
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
    rs.logits.forEach((step, s) =>
      step.forEach((v, i) => {
        const want = 1.5 * ra.logits[s]![i]!;
        worst = Math.max(worst, Math.abs(v - want) / Math.max(1, Math.abs(want)));
      }),
    );
    expect(worst).toBeLessThanOrEqual(1e-5);
    adapters.use(null);
    expect((await greedy(model, tokenizer, gen.prompts.batch, gen.max_new_tokens)).sequences).toEqual(
      gen.runs['fp32.base']!.batch.sequences,
    );
    adapters.use(['scaled', 'a', null]);
    await expect(greedy(model, tokenizer, gen.prompts.batch, 2)).rejects.toMatchObject({
      name: 'AdapterSelectionError',
      rule: 'mixed-overrides',
    });
    adapters.dispose();
  });

  it("the universal entry, given the model bytes, feeds the same base values: tokens and logits equal the Node entry's", async () => {
    const bytes = new Uint8Array(readFileSync(join(hot, 'onnx', 'model.onnx')));
    const a = (await readAdapterDir(ADAPTERS.a)).adapter; // the web entry takes URLs, not paths
    const runs = async (adapters: AdapterController): Promise<unknown[]> => {
      try {
        await adapters.load('a', a);
        await adapters.load('scaled', scaled);
        const out = [];
        for (const use of [null, 'a', 'scaled']) {
          adapters.use(use);
          const r = await greedy(model, tokenizer, gen.prompts.batch, 4);
          out.push({ use, sequences: r.sequences, logits: r.logits });
        }
        return out;
      } finally {
        adapters.dispose();
      }
    };
    const node = await runs(await attachAdapters(model, { folder: hot }));
    expect(await runs(await attachWeb(model, { modelFile: bytes }))).toEqual(node);
  });

  describe('over HTTP, with external data', () => {
    const ext = join(out, 'ext');
    let server: FolderServer;
    let overrides: readonly InjectedOverride[];
    let head: InjectedOverride;

    beforeAll(async () => {
      mkdirSync(join(ext, 'onnx'), { recursive: true });
      const hotModel = await readOnnxModel(join(hot, 'onnx', 'model.onnx'));
      await writeOnnxModel(hotModel, join(ext, 'onnx', 'model.onnx'), {
        externalData: { location: 'model.onnx_data', threshold: 1024 },
      });
      overrides = (
        await readModelInjection(webModelFile(new Uint8Array(readFileSync(join(hot, 'onnx', 'model.onnx')))))
      ).info.overrides;
      head = overrides[0]!;
      server = await serveFolder(out);
    });
    afterAll(async () => {
      await server?.close();
    });

    const url = (manner: 'range' | 'plain', folder: string): string =>
      `${server.origin}/${manner}/${folder}/onnx/model.onnx`;
    const bits = (m: ReadonlyMap<string, HostTensor>) =>
      [...m].map(([k, t]) => ({
        k,
        dtype: t.dtype,
        shape: t.shape,
        bytes: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      }));

    it("inline or external, Range honoured or not: the base values equal the Node entry's bit for bit", async () => {
      const want = bits(await overrideDefaultsNode(join(ext, 'onnx', 'model.onnx'), overrides, 2 ** 30));
      expect(want).toEqual(bits(await overrideDefaultsNode(join(hot, 'onnx', 'model.onnx'), overrides, 2 ** 30)));
      for (const manner of ['range', 'plain'] as const) {
        for (const folder of ['hot', 'ext']) {
          server.requests.length = 0;
          expect(bits((await readModelInjection(webModelFile(url(manner, folder)))).defaults)).toEqual(want);
          // the path under test ran: the external tensor, and only it, was asked of the data file
          const asked = server.requests
            .filter((r) => r.startsWith('/ext/onnx/model.onnx_data'))
            .map((r) => /bytes=(\d+)-(\d+)$/.exec(r));
          expect(asked.map((m) => Number(m?.[2]) - Number(m?.[1]) + 1)).toEqual(
            folder === 'ext' ? [4 * head.shape.reduce((x, y) => x * y, 1)] : [],
          );
        }
      }
    });

    it("attachAdapters from the folder URL (external data): the Node entry's tokens and logits", async () => {
      const runs = async (adapters: AdapterController): Promise<unknown[]> => {
        try {
          await adapters.load('scaled', scaled);
          const out = [];
          for (const use of [null, 'scaled']) {
            adapters.use(use);
            const r = await greedy(model, tokenizer, gen.prompts.single, 4);
            out.push({ use, sequences: r.sequences, logits: r.logits });
          }
          return out;
        } finally {
          adapters.dispose();
        }
      };
      const node = await runs(await attachAdapters(model, { folder: hot }));
      expect(await runs(await attachWeb(model, { folder: `${server.origin}/range/ext`, dtype: 'fp32' }))).toEqual(node);
    });

    it('refuses a location out of the folder, and external data in a model given as bytes, with ModelSessionError', async () => {
      const bytes = new Uint8Array(readFileSync(join(ext, 'onnx', 'model.onnx')));
      const err = await attachWeb(model, { modelFile: bytes }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelSessionError);
      expect(err).toMatchObject({
        rule: 'model-file',
        message: expect.stringMatching(/external data file .*model given as bytes/),
      });
      for (const location of ['../../hot/onnx/model.onnx', '/etc/hosts']) {
        const proto = decodeOnnxModel(bytes).proto;
        const init = proto.graph!.initializer!.find((t) => t.name === head.default)!;
        init.externalData = init.externalData!.map((e) =>
          e.key === 'location' ? { key: 'location', value: location } : e,
        );
        writeFileSync(join(ext, 'onnx', 'hostile.onnx'), encodeOnnxModel(proto));
        const e = await readModelInjection(webModelFile(`${server.origin}/range/ext/onnx/hostile.onnx`)).catch(
          (x: unknown) => x,
        );
        expect(e).toBeInstanceOf(ModelSessionError);
        expect(e).toMatchObject({ rule: 'model-file', message: expect.stringContaining(head.default) });
      }
    });

    it('a budget below lm_head refuses with ResourceLimitError before its bytes are fetched', async () => {
      const size = head.shape.reduce((a, b) => a * b, 4);
      for (const ref of [new Uint8Array(readFileSync(join(hot, 'onnx', 'model.onnx'))), url('range', 'ext')]) {
        server.requests.length = 0;
        const err = await attachWeb(model, { modelFile: ref, maxMemoryBytes: size - 1 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ResourceLimitError);
        expect(server.requests.some((r) => r.includes('model.onnx_data'))).toBe(false);
      }
    });

    it('a truncated or garbage file is a ModelSessionError', async () => {
      const bytes = readFileSync(join(hot, 'onnx', 'model.onnx'));
      writeFileSync(join(ext, 'onnx', 'cut.onnx'), bytes.subarray(0, bytes.length >> 1));
      writeFileSync(join(ext, 'onnx', 'junk.onnx'), '<html>not a model</html>');
      for (const ref of [
        bytes.subarray(0, bytes.length - 100),
        ...['cut', 'junk'].map((f) => `${server.origin}/range/ext/onnx/${f}.onnx`),
      ]) {
        await expect(attachWeb(model, { modelFile: ref })).rejects.toBeInstanceOf(ModelSessionError);
      }
    });
  });
});
