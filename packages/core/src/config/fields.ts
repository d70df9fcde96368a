/**
 * The field table of `adapter_config.json` (SPEC §1.1): kinds, PEFT's defaults and descriptions. The validator,
 * `createConfig` and the JSON Schema are all driven by this one table.
 * @module
 */
import type { FieldSpec } from './field-spec.js';
import { TASK_TYPES, type VBLoRAConfig, type VBLoRAConfigKey } from './types.js';

/** The table type: exactly one spec per config key, each default typed like its field. */
export type FieldTable = { readonly [K in VBLoRAConfigKey]: FieldSpec<VBLoRAConfig[K]> };

// Frozen all the way down: the validator reads this table, so no caller may change it at run time.
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Every `adapter_config.json` key with its kind, default and description, in the file's (sorted) key order. */
export const VBLORA_CONFIG_FIELDS: FieldTable = deepFreeze({
  auto_mapping: {
    kind: { kind: 'object-or-null' },
    default: null,
    python: 'Optional[dict]',
    description: 'Base-model class and library of a custom model, written by PEFT when task_type is null.',
  },
  base_model_name_or_path: {
    kind: { kind: 'string-or-null' },
    default: null,
    python: 'Optional[str]',
    description: 'Name or path of the base model the adapter belongs to.',
  },
  bias: {
    kind: { kind: 'bias' },
    default: 'none',
    python: 'str',
    description: 'Biases to train and save: "none", "all", or "<prefix>_only" such as "vblora_only".',
  },
  exclude_modules: {
    kind: { kind: 'names', allowString: true },
    default: null,
    python: 'Optional[Union[list[str], str]]',
    description: 'Modules never adapted: a list (exact or suffix match, a set in PEFT) or a regex (full match).',
  },
  fan_in_fan_out: {
    kind: { kind: 'bool' },
    default: false,
    python: 'bool',
    description: 'True when adapted layers store weights as (fan_in, fan_out), as GPT-2 Conv1D does.',
  },
  inference_mode: {
    kind: { kind: 'bool' },
    default: false,
    python: 'bool',
    description: 'Whether the adapter is frozen; PEFT always writes true on save.',
  },
  init_logits_std: {
    kind: { kind: 'float', min: 0 },
    default: 0.1,
    python: 'float',
    description: 'Standard deviation of the normal initialisation of the logits.',
  },
  init_vector_bank_bound: {
    kind: { kind: 'float', min: 0 },
    default: 0.02,
    python: 'float',
    description: 'Bound b of the uniform U(-b, b) initialisation of the vector bank.',
  },
  layers_pattern: {
    kind: { kind: 'names', allowString: true },
    default: null,
    python: 'Optional[Union[list[str], str]]',
    description: 'Name(s) of the module list whose children layers_to_transform indexes; needs layers_to_transform.',
  },
  layers_to_transform: {
    kind: { kind: 'layer-indices' },
    default: null,
    python: 'Optional[Union[list[int], int]]',
    description: 'Layer index or indices to adapt; null adapts all layers.',
  },
  modules_to_save: {
    kind: { kind: 'names', allowString: false },
    default: null,
    python: 'Optional[list[str]]',
    description: 'Extra modules trained and saved in full (order kept).',
  },
  num_vectors: {
    kind: { kind: 'int', min: 1 },
    default: 256,
    python: 'int',
    description: 'Number of vectors in the shared vector bank; must be at least topk.',
  },
  peft_type: {
    kind: { kind: 'enum', values: ['VBLORA'], nullable: false },
    default: 'VBLORA',
    python: 'PeftType',
    description: 'Adapter method; always "VBLORA" for VB-LoRA.',
  },
  peft_version: {
    kind: { kind: 'string-or-null' },
    default: null,
    python: 'Optional[str]',
    description: 'Version of the library that wrote the file; files from older PEFT releases lack it.',
  },
  r: {
    kind: { kind: 'int', min: 1 },
    default: 4,
    python: 'int',
    description: 'Rank of the low-rank update.',
  },
  revision: {
    kind: { kind: 'string-or-null' },
    default: null,
    python: 'Optional[str]',
    description: 'Revision of the base model, when one was requested.',
  },
  save_only_topk_weights: {
    kind: { kind: 'bool' },
    default: false,
    python: 'bool',
    description: 'Checkpoint flavour: only the top-k indices and weights (true) or the full logits (false).',
  },
  target_modules: {
    kind: { kind: 'names', allowString: true },
    default: null,
    python: 'Optional[Union[list[str], str]]',
    description: 'Modules to adapt: a list (exact or suffix match, a set in PEFT) or a regex (full match).',
  },
  task_type: {
    kind: { kind: 'enum', values: TASK_TYPES, nullable: true },
    default: null,
    python: 'Optional[TaskType]',
    description: 'PEFT task type, or null for a custom model.',
  },
  topk: {
    kind: { kind: 'int', min: 1 },
    default: 2,
    python: 'int',
    description: 'k of the top-k admixture over the vector bank; at most num_vectors.',
  },
  vblora_dropout: {
    kind: { kind: 'float', min: 0, max: 1 },
    default: 0.0,
    python: 'float',
    description: 'Dropout probability applied to the adapter input.',
  },
  vector_length: {
    kind: { kind: 'int', min: 1 },
    default: 256,
    python: 'int',
    description: 'Length of each bank vector; must divide the in and out features of every adapted layer.',
  },
});

/** The 22 config keys in sorted (file) order. */
export const VBLORA_CONFIG_KEYS: readonly VBLoRAConfigKey[] = Object.freeze(
  (Object.keys(VBLORA_CONFIG_FIELDS) as VBLoRAConfigKey[]).sort(),
);

/** Whether `key` is one of the 22 config keys (own-property check, so `__proto__` and `constructor` are not). */
export function isConfigKey(key: string): key is VBLoRAConfigKey {
  return Object.prototype.hasOwnProperty.call(VBLORA_CONFIG_FIELDS, key);
}
