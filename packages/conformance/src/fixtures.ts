/**
 * PEFT's golden fixtures, shipped inside this package so it is self-contained: five cases written by Hugging Face
 * PEFT's own code (base weights, both checkpoint flavours, expected tensors). `MANIFEST.sha256` pins every file.
 * @module
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Absolute path of the packaged golden fixtures folder. */
export const PEFT_GOLDEN_DIR: string = fileURLToPath(new URL('../fixtures/peft-golden', import.meta.url));

/** The five golden cases, in the order of the fixtures' README. */
export const PEFT_GOLDEN_CASES = [
  'llama_f32_vl16_nv64_top2',
  'llama_f32_vl32_nv300_top3_regex',
  'gpt2_conv1d_fan_in_fan_out_f32',
  'llama_bf16_vl16_nv256_top2_layer1_bias',
  'edge_topk3_ties_zero_nan',
] as const;

/** Name of one golden case. */
export type PeftGoldenCase = (typeof PEFT_GOLDEN_CASES)[number];

/** Absolute path of a file inside a packaged golden case. */
export function peftGoldenPath(c: PeftGoldenCase, ...parts: string[]): string {
  return join(PEFT_GOLDEN_DIR, c, ...parts);
}

/**
 * Absolute path of the packaged tiny Llama fixture: a transformers.js model folder (`config.json`, tokenizer,
 * `onnx/model.onnx`, `onnx/model_q4.onnx`, `onnx/model_int8.onnx`), two PEFT VB-LoRA adapters under `adapters/`
 * and PEFT's expected greedy generations under `expected/`. Its `README.md` describes every file.
 */
export const TINY_LLAMA_DIR: string = fileURLToPath(new URL('../fixtures/tiny-llama', import.meta.url));

/**
 * Absolute path of a file or folder inside the tiny Llama fixture.
 * @example
 * ```ts
 * const adapter = tinyLlamaPath('adapters', 'vblora-a');
 * ```
 */
export function tinyLlamaPath(...parts: string[]): string {
  return join(TINY_LLAMA_DIR, ...parts);
}
