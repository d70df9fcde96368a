/**
 * Reading an `adapter_config.json` the way PEFT's `PeftConfig.from_pretrained` does, with eager checks.
 * @module
 */
import { assembleConfig } from './assemble-config.js';
import { resolveLimits, type ConfigLimits } from './limits.js';
import { readConfigInput } from './read-config-input.js';
import type { VBLoRAConfig } from './types.js';

/** Options of {@link parseConfig}: the safety caps. */
export type ParseConfigOptions = ConfigLimits;

/** What {@link parseConfig} returns. */
export interface ParsedConfig {
  /** The checked config with PEFT's defaults filled in. */
  readonly config: VBLoRAConfig;
  /** PEFT's warnings (dropped `runtime_config`, ignored unknown keys) and ours (duplicate module names). */
  readonly warnings: string[];
  /** Keys PEFT does not know (files from newer PEFT), with their values; they are not part of `config`. */
  readonly unknownKeys: Record<string, unknown>;
}

/**
 * Reads and checks an adapter config: JSON text, UTF-8 bytes (`Uint8Array`) or an already-parsed object.
 *
 * As PEFT does: missing keys take the dataclass defaults (older files without `peft_version`/`exclude_modules`
 * load fine), `runtime_config` is dropped with a warning, unknown keys are set aside with PEFT's warning, and a
 * missing or other `peft_type` is rejected. Beyond PEFT, every field is type-checked and `r`, `topk`,
 * `vblora_dropout`, `bias` and `topk <= num_vectors` are checked now instead of at layer creation (PEFT's
 * messages where it has them). From JSON text, the result remembers which numbers were written as floats, so
 * `serializeConfig(parseConfig(text).config) === text` for any file PEFT wrote.
 *
 * Throws `ConfigError` (bad JSON, duplicate keys, bad values; `field` names the key) or `ResourceLimitError`
 * (input past `maxLength`, `maxDepth`, `maxValues`).
 *
 * @example
 * ```ts
 * const { config, warnings } = parseConfig(await readFile('adapter/adapter_config.json', 'utf8'));
 * config.topk; // 2
 * ```
 */
export function parseConfig(input: unknown, options?: ParseConfigOptions): ParsedConfig {
  const root = readConfigInput(input, resolveLimits(options));
  return assembleConfig(root, 'file');
}
