/**
 * Turns a JSON object into a checked `VBLoRAConfig`: field checks from the table, PEFT's defaults, PEFT's
 * cross-field rule, and the int/float bookkeeping that lets the result re-serialise to the source bytes.
 * @module
 */
import { ConfigError } from '../errors.js';
import { checkField, describeValue } from './check-field.js';
import { isConfigKey, VBLORA_CONFIG_FIELDS, VBLORA_CONFIG_KEYS } from './fields.js';
import { setOwn } from './json-text.js';
import { LAYERS_PATTERN_MESSAGE, RUNTIME_CONFIG_WARNING, unexpectedKeysWarning } from './peft-messages.js';
import { hasNumberKinds, markPyFloat, recordedPyFloat, trackNumberKinds } from './py-number-kinds.js';
import type { JsonObject, JsonValue, VBLoRAConfig } from './types.js';

/** How lenient assembly is: reading a file (PEFT's rules), creating a config, or checking a complete one. */
export type AssembleMode = 'file' | 'create' | 'complete';

/** A checked config plus what was set aside on the way. */
export interface AssembledConfig {
  readonly config: VBLoRAConfig;
  readonly warnings: string[];
  readonly unknownKeys: Record<string, unknown>;
}

function own(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

// Python's truthiness of a checked layers_pattern (None, str or list), which PEFT's `if layers_pattern and` tests.
function truthy(v: string[] | string | null): boolean {
  return v !== null && v.length > 0;
}

function duplicateWarning(field: string, v: JsonValue): string | undefined {
  if (!Array.isArray(v)) return undefined;
  const seen = new Set<JsonValue>();
  const dups = new Set<JsonValue>();
  for (const item of v) (seen.has(item) ? dups : seen).add(item);
  if (dups.size === 0) return undefined;
  const names = [...dups].map((d) => JSON.stringify(d)).join(', ');
  return `${field} lists ${names} more than once; PEFT turns ${field} into a set, so duplicates are dropped on save`;
}

function checkPeftType(root: JsonObject, mode: AssembleMode): void {
  if (!own(root, 'peft_type')) {
    if (mode === 'create') return;
    throw new ConfigError(
      'adapter config has no "peft_type" key; PEFT needs it to pick the config class ("VBLORA" for VB-LoRA)',
      'peft_type',
    );
  }
  const v = root['peft_type'];
  if (v !== 'VBLORA') {
    throw new ConfigError(
      `peft_type is ${describeValue(v)}, not "VBLORA": this is not a VB-LoRA adapter config ` +
        '(only peft_type "VBLORA" can be read here)',
      'peft_type',
    );
  }
}

/**
 * Checks and completes `root` (a fresh JSON object owned by the caller). `file` mode follows PEFT's loader: a
 * `runtime_config` key is dropped with PEFT's warning, unknown keys are set aside with PEFT's warning, missing
 * keys take PEFT's defaults, `peft_type` is required. `create` rejects unknown keys and defaults everything;
 * `complete` rejects unknown and missing keys. @internal
 */
export function assembleConfig(root: JsonObject, mode: AssembleMode): AssembledConfig {
  const warnings: string[] = [];
  const unknownKeys: Record<string, unknown> = {};
  if (mode === 'file' && own(root, 'runtime_config')) warnings.push(RUNTIME_CONFIG_WARNING);
  checkPeftType(root, mode);

  const unknown = Object.keys(root).filter((k) => !isConfigKey(k) && !(mode === 'file' && k === 'runtime_config'));
  if (unknown.length > 0) {
    if (mode !== 'file') {
      throw new ConfigError(
        `unknown config key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}; ` +
          `valid keys: ${VBLORA_CONFIG_KEYS.join(', ')}`,
        unknown[0],
      );
    }
    for (const k of unknown) setOwn(unknownKeys, k, root[k]);
    warnings.push(unexpectedKeysWarning(unknown));
  }

  // Number kinds are exact only when the source recorded them (text input, or a config parsed earlier).
  const exactKinds = hasNumberKinds(root);
  const config = {} as Record<string, JsonValue>;
  if (exactKinds) trackNumberKinds(config);
  for (const key of VBLORA_CONFIG_KEYS) {
    const spec = VBLORA_CONFIG_FIELDS[key];
    let value: JsonValue;
    let isFloat: boolean;
    if (own(root, key)) {
      value = root[key] as JsonValue;
      isFloat = recordedPyFloat(root, key) === true;
      value = checkField(key, spec.kind, value, isFloat);
    } else if (mode === 'complete') {
      throw new ConfigError(`config is missing key "${key}"; createConfig() fills in PEFT's defaults`, key);
    } else {
      value = spec.default;
      isFloat = spec.kind.kind === 'float';
    }
    if (exactKinds && isFloat) markPyFloat(config, key);
    config[key] = value;
  }

  const c = config as unknown as VBLoRAConfig;
  if (truthy(c.layers_pattern) && c.layers_to_transform === null) {
    throw new ConfigError(LAYERS_PATTERN_MESSAGE, 'layers_pattern');
  }
  if (c.topk > c.num_vectors) {
    throw new ConfigError(
      `topk ${c.topk} exceeds num_vectors ${c.num_vectors}: the top-k admixture picks topk of num_vectors bank ` +
        "vectors (PEFT accepts this config but torch.topk fails with 'selected index k out of range')",
      'topk',
    );
  }
  for (const key of ['target_modules', 'exclude_modules'] as const) {
    const w = duplicateWarning(key, c[key]);
    if (w !== undefined) warnings.push(w);
  }
  return { config: c, warnings, unknownKeys };
}
