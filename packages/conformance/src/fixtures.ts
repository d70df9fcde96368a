/**
 * PEFT's golden fixtures, shipped inside this package so it is self-contained: five cases written by Hugging Face
 * PEFT's own code (base weights, both checkpoint flavours, expected tensors). `MANIFEST.sha256` pins every file.
 * The paths are Node's (a page fetches a copy of the folder: `fetchGoldenFixtures` in `@vblora/conformance/web`).
 * @module
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { PeftGoldenCase } from './golden/names.js';

/** Absolute path of the packaged golden fixtures folder. */
export const PEFT_GOLDEN_DIR: string = fileURLToPath(new URL('../fixtures/peft-golden', import.meta.url));

export { PEFT_GOLDEN_CASES, GOLDEN_CASE_FILES, type PeftGoldenCase, type GoldenCaseFile } from './golden/names.js';

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
