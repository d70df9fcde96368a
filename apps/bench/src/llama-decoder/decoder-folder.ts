/**
 * A transformers.js model folder around {@link llamaDecoderModel}: `config.json`, `generation_config.json`, the
 * shipped tiny Llama's tokenizer (its vocabulary sets the decoder's), `onnx/model.onnx` + `model.onnx_data`.
 * @module
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tinyLlamaPath } from '@vblora/conformance/fixtures';
import { decodeOnnxModel, encodeOnnxModel, writeOnnxModel } from '@vblora/onnx';
import { decoderWeightBytes, llamaDecoderModel, type DecoderShape, type DecoderWeights } from './decoder-graph.js';

/** Vocabulary of the shipped tiny Llama's tokenizer, which the benchmark folders reuse. */
export const TINY_VOCAB = 164;

/** Llama-2-7B's layer (hidden 4096, 32 heads, no grouped-query attention, intermediate 11008). */
export const LLAMA2_7B_LAYER: Omit<DecoderShape, 'layers' | 'vocab'> = {
  hidden: 4096,
  intermediate: 11008,
  heads: 32,
  kvHeads: 32,
};

function configJson(s: DecoderShape): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: s.hidden,
    intermediate_size: s.intermediate,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    num_key_value_heads: s.kvHeads,
    head_dim: s.hidden / s.heads,
    vocab_size: s.vocab,
    hidden_act: 'silu',
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    max_position_embeddings: 2048,
    tie_word_embeddings: false,
    bos_token_id: 1,
    eos_token_id: 2,
    pad_token_id: 3,
    torch_dtype: 'float32',
    use_cache: true,
  };
}

/** Writes a Llama decoder folder of shape `s` (random weights by default) into the new folder `dir`; returns its weight bytes. */
export async function writeDecoderFolder(
  dir: string,
  s: DecoderShape,
  weights: Exclude<DecoderWeights, 'shapes'> = 'random',
): Promise<number> {
  await mkdir(join(dir, 'onnx'), { recursive: true });
  await writeFile(join(dir, 'config.json'), `${JSON.stringify(configJson(s), null, 2)}\n`);
  await writeFile(
    join(dir, 'generation_config.json'),
    `${JSON.stringify({ bos_token_id: 1, eos_token_id: 2, pad_token_id: 3, do_sample: false }, null, 2)}\n`,
  );
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) await copyFile(tinyLlamaPath(f), join(dir, f));
  const bytes = encodeOnnxModel(llamaDecoderModel(s, weights));
  const weightBytes = decoderWeightBytes(s);
  const budget = { maxMemoryBytes: 4 * weightBytes + 2 ** 30 };
  await writeOnnxModel(decodeOnnxModel(bytes, budget), join(dir, 'onnx', 'model.onnx'), {
    externalData: { location: 'model.onnx_data' },
    ...budget,
  });
  return weightBytes;
}
