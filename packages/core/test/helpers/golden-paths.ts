import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

/**
 * PEFT's golden fixtures as shipped in the repo (`packages/conformance/fixtures/peft-golden`, a copy of
 * `../shared/peft/golden` pinned by a sha256 manifest whose test also checks it against the shared original).
 */
export const GOLDEN_DIR = resolve(
  fileURLToPath(new URL('../../../', import.meta.url)),
  'conformance/fixtures/peft-golden',
);

/** The five golden cases, in the order of the fixtures' README. */
export const GOLDEN_CASES = [
  'llama_f32_vl16_nv64_top2',
  'llama_f32_vl32_nv300_top3_regex',
  'gpt2_conv1d_fan_in_fan_out_f32',
  'llama_bf16_vl16_nv256_top2_layer1_bias',
  'edge_topk3_ties_zero_nan',
] as const;

/** Name of one golden case. */
export type GoldenCase = (typeof GOLDEN_CASES)[number];

/** Absolute path of a file inside a golden case folder. */
export function goldenPath(c: GoldenCase, ...parts: string[]): string {
  return join(GOLDEN_DIR, c, ...parts);
}

if (!existsSync(GOLDEN_DIR)) throw new Error(`golden fixtures not found at ${GOLDEN_DIR}`);
