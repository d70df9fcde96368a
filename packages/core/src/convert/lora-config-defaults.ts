/**
 * The fields of PEFT's `LoraConfig` (commit 5d602fd) as `convert_to_lora` leaves them and
 * `LoraConfig.save_pretrained` writes them; `loraConfigFor` fills in the ones it carries over or sets.
 * @module
 */
import type { JsonObject } from '../config/index.js';

/** Every `adapter_config.json` key of a converted adapter, with the value PEFT writes when nothing sets it. */
export const LORA_CONFIG_DEFAULTS: Readonly<JsonObject> = Object.freeze({
  alora_invocation_tokens: null,
  alpha_pattern: {},
  arrow_config: null,
  auto_mapping: null,
  base_model_name_or_path: null,
  bias: 'none',
  corda_config: null,
  ensure_weight_tying: false,
  eva_config: null,
  exclude_modules: [],
  fan_in_fan_out: false,
  inference_mode: false,
  init_lora_weights: true,
  kasa_config: null,
  layer_replication: null,
  layers_pattern: null,
  layers_to_transform: null,
  loftq_config: {},
  lora_alpha: 8,
  lora_bias: false,
  lora_dropout: 0.0,
  lora_ga_config: null,
  megatron_config: null,
  megatron_core: 'megatron.core',
  modules_to_save: null,
  monteclora_config: null,
  peft_type: 'LORA',
  peft_version: null,
  qalora_group_size: 16,
  r: 8,
  rank_pattern: {},
  revision: null,
  target_modules: null,
  target_parameters: null,
  task_type: null,
  trainable_token_indices: null,
  use_bdlora: null,
  use_dora: false,
  use_qalora: false,
  use_rslora: false,
  velora_config: null,
});

/** The float-typed fields among them (written `0.0`, not `0`). */
export const LORA_FLOAT_FIELDS: ReadonlySet<string> = new Set(['lora_dropout']);
