/**
 * Safety caps of the safetensors reader: each is checked before anything of that size is allocated or walked.
 * @module
 */
import { ConfigError } from '../errors.js';

/** Caps applied while reading a safetensors file. */
export interface SafetensorsLimits {
  /** Largest accepted JSON header, in bytes (the official library's cap is 100,000,000). */
  readonly maxHeaderBytes: number;
  /** Largest accepted data section (sum of all declared tensor bytes). */
  readonly maxTotalBytes: number;
  /** Deepest accepted JSON nesting; a valid header needs 3 (`{` → entry `{` → shape `[`). */
  readonly maxDepth: number;
}

/** Hard ceiling of `maxDepth`: the header parser recurses once per level, and the stack must never overflow. */
export const SAFETENSORS_MAX_DEPTH_CEILING = 1000;

/** Default caps: the official header cap, no data cap beyond what JS can address, and a generous nesting cap. */
export const DEFAULT_SAFETENSORS_LIMITS: SafetensorsLimits = {
  maxHeaderBytes: 100_000_000,
  maxTotalBytes: Number.MAX_SAFE_INTEGER,
  maxDepth: 64,
};

/** Fills unset caps with the defaults and checks the given ones. */
export function resolveSafetensorsLimits(options: Partial<SafetensorsLimits> = {}): SafetensorsLimits {
  const out = { ...DEFAULT_SAFETENSORS_LIMITS };
  for (const key of ['maxHeaderBytes', 'maxTotalBytes', 'maxDepth'] as const) {
    const v = options[key];
    if (v === undefined) continue;
    const ceiling = key === 'maxDepth' ? SAFETENSORS_MAX_DEPTH_CEILING : Number.MAX_SAFE_INTEGER;
    if (!Number.isSafeInteger(v) || v < 0 || v > ceiling) {
      throw new ConfigError(`safetensors option ${key} must be an integer in [0, ${ceiling}], got ${String(v)}`, key);
    }
    out[key] = v;
  }
  return out;
}
