import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@huggingface/transformers';
import { tinyLlamaPath } from '@vblora/conformance/fixtures';
import { readSafetensors } from '@vblora/core';
import { writeDecoderFolder } from '../src/llama-decoder/decoder-folder.js';

interface Generations {
  readonly max_new_tokens: number;
  readonly inputs: { readonly batch: { readonly input_ids: number[][]; readonly attention_mask: number[][] } };
  readonly runs: Record<string, { readonly batch: { readonly sequences: number[][] } }>;
}

// The benchmark's hand-written decoder graph is checked against the real thing: with the shipped tiny Llama's
// weights it must generate exactly the tokens PEFT's base model generated (recorded by the fixture generator).
describe('bench Llama decoder graph', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vblora-bench-decoder-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('with the tiny Llama state dict, transformers.js generates PEFT base tokens for a left-padded batch', async () => {
    const config = JSON.parse(await readFile(tinyLlamaPath('config.json'), 'utf8')) as Record<string, number>;
    const { tensors } = readSafetensors(new Uint8Array(await readFile(tinyLlamaPath('model.safetensors'))));
    const shape = {
      layers: config.num_hidden_layers!,
      hidden: config.hidden_size!,
      intermediate: config.intermediate_size!,
      heads: config.num_attention_heads!,
      kvHeads: config.num_key_value_heads!,
      vocab: config.vocab_size!,
    };
    await writeDecoderFolder(dir, shape, tensors);
    const gen = JSON.parse(await readFile(tinyLlamaPath('expected', 'generations.json'), 'utf8')) as Generations;
    tf.env.allowRemoteModels = false;
    tf.env.useFSCache = false;
    const model = await tf.AutoModelForCausalLM.from_pretrained(dir, { dtype: 'fp32', device: 'cpu' });
    try {
      const { input_ids, attention_mask } = gen.inputs.batch;
      const rows = input_ids.length;
      const cols = input_ids[0]!.length;
      const t = (m: number[][]) => new tf.Tensor('int64', BigInt64Array.from(m.flat(), BigInt), [rows, cols]);
      const out = (await model.generate({
        input_ids: t(input_ids),
        attention_mask: t(attention_mask),
        max_new_tokens: gen.max_new_tokens,
        do_sample: false,
      })) as tf.Tensor;
      const got = Array.from(out.data as BigInt64Array, Number);
      expect(got).toEqual(gen.runs['fp32.base']!.batch.sequences.flat());
    } finally {
      await model.dispose();
    }
  }, 60_000);
});
