/**
 * The tiny Llama fixture (packages/conformance/fixtures/tiny-llama): its two PEFT adapters and PEFT's greedy
 * generations, and temporary folders removed after each test file.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TINY_LLAMA_DIR, tinyLlamaPath } from '@vblora/conformance/fixtures';
import { afterAll } from 'vitest';

/** The fixture folder. */
export const TINY_LLAMA = TINY_LLAMA_DIR;
/** Its adapters folder (ids `vblora-a`, `vblora-b`). */
export const FIXTURE_ADAPTERS = tinyLlamaPath('adapters');

/** True when the fixture's files are there (a missing fixture fails instead with CI=true). */
export const PRESENT =
  existsSync(tinyLlamaPath('onnx', 'model.onnx')) && existsSync(tinyLlamaPath('expected', 'generations.json'));
if (!PRESENT && process.env['CI'] === 'true') throw new Error(`the tiny-llama fixture is missing at ${TINY_LLAMA_DIR}`);

/** One recorded PEFT generation. */
export interface RunCase {
  readonly new_token_ids: number[][];
  readonly new_text: string[];
}
/** expected/generations.json (the fields used here). */
export interface Generations {
  readonly max_new_tokens: number;
  readonly prompts: Record<'single' | 'batch', string[]>;
  readonly runs: Record<string, Record<'single' | 'batch', RunCase>>;
}

/** PEFT's recorded generations. */
export function readGenerations(): Generations {
  return JSON.parse(readFileSync(tinyLlamaPath('expected', 'generations.json'), 'utf8')) as Generations;
}

/** A fresh temporary folder, removed when the test file ends. */
export function tempDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `vblora-server-${tag}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
