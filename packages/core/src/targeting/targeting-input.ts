/**
 * Runtime checks and PEFT defaults for the targeting fields of a config (callers may be plain JavaScript).
 * @module
 */
import { ConfigError } from '../errors.js';
import type { TargetingConfig } from './targeting-config.js';

/** The targeting fields with PEFT's defaults filled in. */
export interface NormalizedTargeting {
  readonly r: number;
  readonly topk: number;
  readonly vector_length: number;
  readonly fan_in_fan_out: boolean;
  readonly target_modules: string | readonly string[] | null;
  readonly exclude_modules: string | readonly string[] | null;
  readonly modules_to_save: readonly string[] | null;
  readonly layers_to_transform: number | readonly number[] | null;
  readonly layers_pattern: string | readonly string[] | null;
}

const isStrings = (v: unknown): v is readonly string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function stringsOrString(v: unknown, field: string): string | readonly string[] | null {
  if (v === undefined || v === null || typeof v === 'string' || isStrings(v)) return v ?? null;
  throw new ConfigError(`\`${field}\` must be a string, a list of strings or null; got ${JSON.stringify(v)}`, field);
}

function numberField(v: unknown, field: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v === 'number') return v;
  throw new ConfigError(`\`${field}\` must be a number; got ${JSON.stringify(v)}`, field);
}

/** Validates field types, fills defaults, and applies `VBLoRAConfig.__post_init__`'s layers_pattern rule. */
export function normalizeTargeting(config: TargetingConfig): NormalizedTargeting {
  if (typeof config !== 'object' || config === null) {
    throw new ConfigError(`expected a config object; got ${JSON.stringify(config)}`);
  }
  const modulesToSave = config.modules_to_save ?? null;
  if (modulesToSave !== null && !isStrings(modulesToSave)) {
    throw new ConfigError(
      `\`modules_to_save\` must be a list of strings or null; got ${JSON.stringify(modulesToSave)}`,
      'modules_to_save',
    );
  }
  const layers = config.layers_to_transform ?? null;
  const isInt = (x: unknown): boolean => typeof x === 'number' && Number.isSafeInteger(x);
  if (layers !== null && !isInt(layers) && !(Array.isArray(layers) && layers.every(isInt))) {
    throw new ConfigError(
      `\`layers_to_transform\` must be an int, a list of ints or null; got ${JSON.stringify(layers)}`,
      'layers_to_transform',
    );
  }
  const fan = config.fan_in_fan_out ?? false;
  if (typeof fan !== 'boolean')
    throw new ConfigError(`\`fan_in_fan_out\` must be a boolean; got ${JSON.stringify(fan)}`, 'fan_in_fan_out');
  const layersPattern = stringsOrString(config.layers_pattern, 'layers_pattern');
  if (layersPattern !== null && layersPattern.length > 0 && layers === null) {
    throw new ConfigError(
      'When `layers_pattern` is specified, `layers_to_transform` must also be specified. ',
      'layers_pattern',
    );
  }
  return {
    r: numberField(config.r, 'r', 4),
    topk: numberField(config.topk, 'topk', 2),
    vector_length: numberField(config.vector_length, 'vector_length', 256),
    fan_in_fan_out: fan,
    target_modules: stringsOrString(config.target_modules, 'target_modules'),
    exclude_modules: stringsOrString(config.exclude_modules, 'exclude_modules'),
    modules_to_save: modulesToSave,
    layers_to_transform: layers,
    layers_pattern: layersPattern,
  };
}
