/**
 * Creating a new config from JS, with PEFT's defaults and the same checks as reading.
 * @module
 */
import { assembleConfig } from './assemble-config.js';
import { snapshotJson } from './json-snapshot.js';
import { DEFAULT_CONFIG_LIMITS } from './limits.js';
import { requireObject } from './read-config-input.js';
import type { VBLoRAConfig } from './types.js';

/**
 * Builds a checked config from the fields given, PEFT's defaults for the rest. Unknown keys are an error (a typo
 * should not pass silently). `peft_version` defaults to null and is kept as given: PEFT stamps its own version
 * when *it* creates a config, but this library is not PEFT, and PEFT loads a null `peft_version` fine (it fills
 * in its own). The float fields (`vblora_dropout`, `init_*`) are written as Python floats (`0.0`).
 *
 * @example
 * ```ts
 * const config = createConfig({ r: 4, num_vectors: 64, vector_length: 16, target_modules: ['q_proj', 'v_proj'] });
 * ```
 */
export function createConfig(partial: Partial<VBLoRAConfig> = {}): VBLoRAConfig {
  const root = requireObject(snapshotJson(partial, DEFAULT_CONFIG_LIMITS), 'createConfig argument');
  return assembleConfig(root, 'create').config;
}
