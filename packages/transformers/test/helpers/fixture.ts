/**
 * The tiny Llama fixture (packages/conformance/fixtures/tiny-llama): a transformers.js folder (fp32, q4, int8),
 * two PEFT VB-LoRA adapters and PEFT's greedy generations.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors, toF32 } from '@vblora/core';

/** The fixture folder. */
export const TINY_LLAMA = fileURLToPath(new URL('../../../conformance/fixtures/tiny-llama/', import.meta.url));

/** True when the fixture's files are there. */
export const PRESENT = existsSync(join(TINY_LLAMA, 'onnx', 'model.onnx')) && existsSync(join(TINY_LLAMA, 'expected', 'generations.json'));

/** The two PEFT adapters. */
export const ADAPTERS = { a: join(TINY_LLAMA, 'adapters', 'vblora-a'), b: join(TINY_LLAMA, 'adapters', 'vblora-b') } as const;

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
  return JSON.parse(readFileSync(join(TINY_LLAMA, 'expected', 'generations.json'), 'utf8')) as Generations;
}

/** PEFT's logits of every step: `<run>.<case>` → [steps, batch, vocab] float32. */
export function readExpectedLogits(): Map<string, { data: Float32Array; shape: readonly number[] }> {
  const file = readSafetensors(readFileSync(join(TINY_LLAMA, 'expected', 'logits.safetensors')));
  const out = new Map<string, { data: Float32Array; shape: readonly number[] }>();
  for (const [name, t] of file.tensors) {
    const f = toF32(t);
    out.set(name, { data: f.data, shape: f.shape });
  }
  return out;
}
