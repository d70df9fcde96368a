/**
 * PEFT's `TRANSFORMERS_MODELS_TO_VBLORA_TARGET_MODULES_MAPPING` (`src/peft/utils/constants.py`, commit
 * 5d602fdb): the `target_modules` used when a config leaves them null, keyed by transformers `model_type`.
 * A list means suffix matching, a string is a regex (full match).
 * @module
 */

/** Default VB-LoRA `target_modules` per transformers `model_type`, as in PEFT. */
export const VBLORA_DEFAULT_TARGET_MODULES: Readonly<Record<string, readonly string[] | string>> = Object.freeze({
  t5: ['q', 'k', 'v', 'o', 'wi', 'wo'],
  mt5: ['q', 'k', 'v', 'o', 'wi_0', 'wi_1', 'wo'],
  bart: ['q_proj', 'k_proj', 'v_proj', 'out_proj', 'fc1', 'fc2'],
  gpt2: ['c_attn'],
  bloom: ['query_key_value'],
  opt: ['q_proj', 'k_proj', 'v_proj', 'out_proj', 'fc1', 'fc2'],
  gptj: ['q_proj', 'v_proj'],
  gpt_neox: ['query_key_value'],
  gpt_neo: ['q_proj', 'v_proj'],
  llama: ['q_proj', 'v_proj'],
  llama4: ['q_proj', 'v_proj'],
  bert: ['query', 'value'],
  roberta: ['query', 'value'],
  'deberta-v2': ['query_proj', 'key_proj', 'value_proj', 'dense'],
  gpt_bigcode: ['c_attn'],
  deberta: ['in_proj'],
  gemma: ['q_proj', 'v_proj'],
  gemma2: ['q_proj', 'v_proj'],
  gemma3_text: ['q_proj', 'v_proj'],
  gemma4: '.*language_model\\..*\\.(q_proj|v_proj)',
  qwen2: ['q_proj', 'v_proj'],
  qwen3: ['q_proj', 'v_proj'],
  nemotron_h: ['q_proj', 'k_proj', 'v_proj', 'o_proj'],
});
