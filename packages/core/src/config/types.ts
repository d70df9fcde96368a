/**
 * The `adapter_config.json` of a PEFT VB-LoRA adapter as a TypeScript type, field for field (SPEC §1.1, §1.4).
 * Keys stay snake_case because this type *is* the file.
 * @module
 */

/** Any value JSON (as Python's `json` module reads it, so including NaN and ±Infinity) can hold. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

/** A JSON object with string keys. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** The task types PEFT accepts for `task_type` (`peft.utils.peft_types.TaskType`, in PEFT's order). */
export const TASK_TYPES = Object.freeze([
  'SEQ_CLS',
  'SEQ_2_SEQ_LM',
  'CAUSAL_LM',
  'TOKEN_CLS',
  'QUESTION_ANS',
  'FEATURE_EXTRACTION',
] as const);

/** One of PEFT's task types. */
export type TaskType = (typeof TASK_TYPES)[number];

/** Bias training mode: PEFT implements `"none"`, `"all"` and any value ending in `"_only"` (e.g. `"vblora_only"`). */
export type VBLoRABias = 'none' | 'all' | 'vblora_only' | `${string}_only`;

/** A VB-LoRA adapter configuration exactly as PEFT stores it in `adapter_config.json` (all 22 keys). */
export interface VBLoRAConfig {
  /** Base-model class and library PEFT records for custom models when `task_type` is null; otherwise null. */
  auto_mapping: JsonObject | null;
  /** Name or path of the base model the adapter was trained on. */
  base_model_name_or_path: string | null;
  /** Which biases are trained and saved: `"none"`, `"all"` or `"<prefix>_only"`. */
  bias: VBLoRABias;
  /** Module names (list: exact or suffix match) or a regex (string: full match) never adapted. */
  exclude_modules: string[] | string | null;
  /** True when the adapted layers store weights as (fan_in, fan_out), e.g. GPT-2 `Conv1D`. */
  fan_in_fan_out: boolean;
  /** PEFT always writes `true` here on save. */
  inference_mode: boolean;
  /** Standard deviation of the normal init of the logits. */
  init_logits_std: number;
  /** Bound `b` of the uniform `U(-b, b)` init of the vector bank. */
  init_vector_bank_bound: number;
  /** Name(s) of the module list holding the layers that `layers_to_transform` indexes. */
  layers_pattern: string[] | string | null;
  /** Layer index (or indices) to adapt; null adapts every layer. */
  layers_to_transform: number[] | number | null;
  /** Extra modules trained and saved in full. */
  modules_to_save: string[] | null;
  /** Number of vectors (rows) in the shared vector bank. */
  num_vectors: number;
  /** Always `"VBLORA"`. */
  peft_type: 'VBLORA';
  /** Version of the library that wrote the file; older PEFT files lack it (null here). */
  peft_version: string | null;
  /** Rank of the low-rank update. */
  r: number;
  /** Revision of the base model, if one was requested. */
  revision: string | null;
  /** Checkpoint flavour: full logits (false) or only the top-k indices and weights (true). */
  save_only_topk_weights: boolean;
  /** Module names (list: exact or suffix match) or a regex (string: full match) to adapt. */
  target_modules: string[] | string | null;
  /** PEFT task type, or null for a custom model. */
  task_type: TaskType | null;
  /** k of the top-k admixture over the bank. */
  topk: number;
  /** Dropout probability applied to the adapter's input. */
  vblora_dropout: number;
  /** Length of each bank vector; it must divide the in and out features of every adapted layer. */
  vector_length: number;
}

/** Name of one `adapter_config.json` key. */
export type VBLoRAConfigKey = keyof VBLoRAConfig;
