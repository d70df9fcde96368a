/**
 * Writing `adapter_config.json` byte for byte as PEFT's `PeftConfigMixin.save_pretrained` does (SPEC §1.4).
 * @module
 */
import { assembleConfig } from './assemble-config.js';
import { VBLORA_CONFIG_FIELDS, isConfigKey } from './fields.js';
import { snapshotJson } from './json-snapshot.js';
import { DEFAULT_CONFIG_LIMITS } from './limits.js';
import { pyJsonDumps } from './py-json-dumps.js';
import { requireObject } from './read-config-input.js';
import type { JsonObject, VBLoRAConfig } from './types.js';

/** Checks a complete config (all 22 keys, no others) and returns a fresh copy that keeps its number kinds. */
function checkedCopy(config: VBLoRAConfig): VBLoRAConfig {
  const root = requireObject(snapshotJson(config, DEFAULT_CONFIG_LIMITS), 'config');
  return assembleConfig(root, 'complete').config;
}

/**
 * The exact text PEFT writes for this config: `json.dumps(d, indent=2, sort_keys=True)` with ASCII escapes,
 * Python float repr (`0.0`, `1e-05`, `1e+16`, `NaN`, `Infinity`) and no trailing newline.
 *
 * Numbers: a config read from text writes each number as its source did (`0` stays `0`, `0.0` stays `0.0`); a
 * config built in JS (or a spread copy of a parsed one) writes the float-typed fields (`vblora_dropout`,
 * `init_vector_bank_bound`, `init_logits_std`) as floats and integral numbers elsewhere as ints, as PEFT would.
 * The config is checked first (`ConfigError` if invalid), so a file PEFT cannot load is never produced. This
 * writes the config as it is; see {@link toSavedConfig} for the changes PEFT makes while saving.
 */
export function serializeConfig(config: VBLoRAConfig): string {
  const checked = checkedCopy(config);
  return pyJsonDumps(checked as unknown as JsonObject, (container, key) => {
    return container === checked && typeof key === 'string' && isConfigKey(key)
      ? VBLORA_CONFIG_FIELDS[key].kind.kind === 'float'
      : false;
  });
}

/** What PEFT's `PeftModel.save_pretrained` fills in from the base model; we have no Python model to ask. */
export interface SavedConfigOptions {
  /** Used when `base_model_name_or_path` is null (PEFT takes the model's `name_or_path`). */
  readonly baseModelNameOrPath?: string;
  /** Written as `auto_mapping` when `task_type` is null (PEFT writes the base model's class and module). */
  readonly autoMapping?: JsonObject;
}

/**
 * The config as PEFT's `save_pretrained` writes it: `inference_mode` is always `true` in the file. PEFT also
 * fills `base_model_name_or_path` (when null) and `auto_mapping` (when `task_type` is null) from the Python base
 * model; here they are left untouched unless `options` provides them. Returns a checked copy; pass it to
 * {@link serializeConfig}.
 */
export function toSavedConfig(config: VBLoRAConfig, options: SavedConfigOptions = {}): VBLoRAConfig {
  const saved = checkedCopy(config);
  saved.inference_mode = true;
  if (saved.base_model_name_or_path === null && options.baseModelNameOrPath !== undefined) {
    saved.base_model_name_or_path = options.baseModelNameOrPath;
  }
  if (saved.task_type === null && options.autoMapping !== undefined) {
    saved.auto_mapping = requireObject(snapshotJson(options.autoMapping, DEFAULT_CONFIG_LIMITS), 'autoMapping');
  }
  return saved;
}
