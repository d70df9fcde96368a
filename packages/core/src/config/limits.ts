/**
 * Safety caps for reading configs, checked before any expensive work: input length, nesting depth and value
 * count. A real `adapter_config.json` is about 1 KB deep 2; the defaults leave wide room above that.
 * @module
 */
import { ConfigError, ResourceLimitError } from '../errors.js';

/** Caps applied while reading a config. */
export interface ConfigLimits {
  /** Longest accepted input: UTF-16 code units for a string, bytes for a `Uint8Array`. Default 1 MiB. */
  readonly maxLength?: number;
  /** Deepest nesting of objects/arrays (the top-level object is depth 1). Default 32, at most 1000. */
  readonly maxDepth?: number;
  /** Most JSON values (objects, arrays and scalars counted alike) in one config. Default 100 000. */
  readonly maxValues?: number;
}

/** The defaults of {@link ConfigLimits}. */
export const DEFAULT_CONFIG_LIMITS: Readonly<Required<ConfigLimits>> = Object.freeze({
  maxLength: 1 << 20,
  maxDepth: 32,
  maxValues: 100_000,
});

// The reader and walkers recurse once per nesting level; this ceiling keeps that far below any engine's stack.
const HARD_MAX_DEPTH = 1000;

/** Fills in defaults and rejects nonsensical limits. @internal */
export function resolveLimits(limits: ConfigLimits | undefined): Required<ConfigLimits> {
  const out = { ...DEFAULT_CONFIG_LIMITS };
  if (limits === undefined) return out;
  if (typeof limits !== 'object' || limits === null) {
    throw new ConfigError(`options must be an object, got ${typeof limits}`, 'options');
  }
  for (const name of ['maxLength', 'maxDepth', 'maxValues'] as const) {
    const v = limits[name];
    if (v === undefined) continue;
    const ceiling = name === 'maxDepth' ? HARD_MAX_DEPTH : Number.MAX_SAFE_INTEGER;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > ceiling) {
      throw new ConfigError(
        `options.${name} must be an integer from 1 to ${ceiling}, got ${String(v)}`,
        `options.${name}`,
      );
    }
    out[name] = v;
  }
  return out;
}

/** Throws the depth-cap error. @internal */
export function depthExceeded(maxDepth: number, where: string): never {
  throw new ResourceLimitError(
    `adapter config nests deeper than maxDepth ${maxDepth} at ${where}; adapter_config.json is at most 2 levels deep`,
    'maxDepth',
  );
}

/** Throws the value-count error. @internal */
export function valuesExceeded(maxValues: number): never {
  throw new ResourceLimitError(
    `adapter config holds more than maxValues ${maxValues} JSON values; raise options.maxValues if this is intended`,
    'maxValues',
  );
}

/** Throws the length-cap error. @internal */
export function lengthExceeded(length: number, maxLength: number, unit: string): never {
  throw new ResourceLimitError(
    `adapter config input is ${length} ${unit}, more than maxLength ${maxLength}; a real adapter_config.json is ~1 KB`,
    'maxLength',
  );
}
