/**
 * The two files of a converted LoRA adapter.
 * @module
 */
import { writeSafetensors } from '../checkpoint/safetensors-write.js';
import { serializeLoraConfig } from './lora-config.js';
import type { LoraCheckpoint } from './to-lora.js';

/** `adapter_config.json` and `adapter_model.safetensors` bytes of a LoRA checkpoint. */
export interface LoraFileContents {
  /** `adapter_config.json` text as PEFT writes it (sorted keys, indent 2, no trailing newline). */
  readonly config: string;
  /** `adapter_model.safetensors` bytes (no `__metadata__`: PEFT's `save_as_lora` writes none). */
  readonly weights: Uint8Array;
}

/**
 * Serialises a LoRA checkpoint into the files PEFT's `save_as_lora` writes.
 * @example
 * ```ts
 * const { config, weights } = loraToFiles(await toLoraAdapter(adapter));
 * ```
 */
export function loraToFiles(lora: LoraCheckpoint): LoraFileContents {
  return { config: serializeLoraConfig(lora.config), weights: writeSafetensors(lora.tensors, null) };
}
