/**
 * The `adapter_config.json` of a LoRA adapter converted from VB-LoRA, as PEFT's `convert_to_lora` builds it.
 * @module
 */
import type { JsonObject, JsonValue, VBLoRAConfig } from '../config/index.js';
import { setOwn } from '../config/json-text.js';
import { pyJsonDumps } from '../config/py-json-dumps.js';
import { LORA_CONFIG_DEFAULTS, LORA_FLOAT_FIELDS } from './lora-config-defaults.js';

/** How the ranks were asked for: one integer rank, or an energy threshold (a rank per module). */
export type LoraRankRequest = { readonly kind: 'rank'; readonly rank: number } | { readonly kind: 'energy' };

/**
 * PEFT's LoRA config for the converted modules (`ranks`: module path → rank, in module order). Carried over from
 * the VB-LoRA config: `target_modules`, `base_model_name_or_path`, `layers_pattern`, `layers_to_transform`,
 * `modules_to_save` and `peft_version`. `r = lora_alpha` = the rank (scaling 1: the factors already hold it), or
 * 1 under an energy threshold. A module goes into `rank_pattern`/`alpha_pattern` when its rank differs from `r`
 * or `target_modules` is a regex (a name cannot be appended to it); otherwise its path is added to the
 * `target_modules` list (after the original entries; PEFT writes a set, so its order is arbitrary anyway).
 */
export function loraConfigFor(
  source: VBLoRAConfig,
  ranks: ReadonlyMap<string, number>,
  request: LoraRankRequest,
): JsonObject {
  const r = request.kind === 'rank' ? request.rank : 1;
  const regex = typeof source.target_modules === 'string';
  const targets: string[] = Array.isArray(source.target_modules) ? [...source.target_modules] : [];
  const rankPattern: JsonObject = {};
  const alphaPattern: JsonObject = {};
  for (const [path, rank] of ranks) {
    if (request.kind === 'energy' || rank !== r || regex) {
      // own data properties even for a module path such as `__proto__`
      setOwn(rankPattern, path, rank);
      setOwn(alphaPattern, path, rank);
    } else if (!targets.includes(path)) {
      targets.push(path);
    }
  }
  const carried: JsonObject = {
    alpha_pattern: alphaPattern,
    base_model_name_or_path: source.base_model_name_or_path,
    layers_pattern: copyJson(source.layers_pattern as JsonValue),
    layers_to_transform: copyJson(source.layers_to_transform as JsonValue),
    lora_alpha: r,
    modules_to_save: source.modules_to_save === null ? null : [...source.modules_to_save],
    peft_version: source.peft_version,
    r,
    rank_pattern: rankPattern,
    target_modules: regex ? source.target_modules : targets,
  };
  return { ...(copyJson(LORA_CONFIG_DEFAULTS as JsonObject) as JsonObject), ...carried };
}

/** The exact `adapter_config.json` text PEFT writes for this config (`json.dumps(indent=2, sort_keys=True)`). */
export function serializeLoraConfig(config: JsonObject): string {
  return pyJsonDumps(config, (container, key) => container === config && LORA_FLOAT_FIELDS.has(String(key)));
}

function copyJson(v: JsonValue): JsonValue {
  return v === null || typeof v !== 'object' ? v : (JSON.parse(JSON.stringify(v)) as JsonValue);
}
