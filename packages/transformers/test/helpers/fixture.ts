/**
 * The tiny Llama fixture (packages/conformance/fixtures/tiny-llama): a transformers.js folder (fp32, q4, int8),
 * two PEFT VB-LoRA adapters and PEFT's greedy generations.
 */
import { existsSync, readFileSync } from 'node:fs';
import { TINY_LLAMA_DIR, tinyLlamaPath } from '@vblora/conformance/fixtures';
import { readSafetensors, toF32 } from '@vblora/core';

/** The fixture folder (absolute). */
export const TINY_LLAMA = TINY_LLAMA_DIR;

/** True when the fixture's files are there (a missing fixture fails instead with CI=true). */
export const PRESENT =
  existsSync(tinyLlamaPath('onnx', 'model.onnx')) && existsSync(tinyLlamaPath('expected', 'generations.json'));
if (!PRESENT && process.env['CI'] === 'true') throw new Error(`the tiny-llama fixture is missing at ${TINY_LLAMA_DIR}`);

/** The two PEFT adapters. */
export const ADAPTERS = { a: tinyLlamaPath('adapters', 'vblora-a'), b: tinyLlamaPath('adapters', 'vblora-b') } as const;

/** One recorded generation. */
export interface RunCase {
  readonly sequences: number[][];
  readonly new_token_ids: number[][];
  /** Decoded sequences (special tokens skipped). */
  readonly text: string[];
}
/** expected/generations.json. */
export interface Generations {
  readonly max_new_tokens: number;
  readonly prompts: Record<'single' | 'batch', string[]>;
  readonly inputs: Record<'single' | 'batch', { readonly input_ids: number[][]; readonly attention_mask: number[][] }>;
  readonly runs: Record<string, Record<'single' | 'batch', RunCase>>;
}

/** The recorded generations. */
export function readGenerations(): Generations {
  return JSON.parse(readFileSync(tinyLlamaPath('expected', 'generations.json'), 'utf8')) as Generations;
}

/** PEFT's logits of every step: `<run>.<case>` → [steps, batch, vocab] float32. */
export function readExpectedLogits(): Map<string, { data: Float32Array; shape: readonly number[] }> {
  const file = readSafetensors(readFileSync(tinyLlamaPath('expected', 'logits.safetensors')));
  const out = new Map<string, { data: Float32Array; shape: readonly number[] }>();
  for (const [name, t] of file.tensors) {
    const f = toF32(t);
    out.set(name, { data: f.data, shape: f.shape });
  }
  return out;
}
