/**
 * The packaged PEFT golden cases by name, and the files each one holds (paths relative to `peft-golden/`).
 * @module
 */

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

/** The files of one golden case that the suite reads, relative to the case's folder. */
export const GOLDEN_CASE_FILES = [
  'adapter_full/adapter_config.json',
  'adapter_full/adapter_model.safetensors',
  'adapter_topk/adapter_config.json',
  'adapter_topk/adapter_model.safetensors',
  'base.safetensors',
  'expected.safetensors',
  'summary.json',
] as const;

/** One file of a golden case (see {@link GOLDEN_CASE_FILES}). */
export type GoldenCaseFile = (typeof GOLDEN_CASE_FILES)[number];
