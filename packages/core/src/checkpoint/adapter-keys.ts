/**
 * Checkpoint key names of PEFT's VB-LoRA adapters (SPEC §5.2–5.3), in one place.
 * @module
 */

/** Prefix of every per-module key: PEFT's `PeftModel.base_model.model`. */
export const MODULE_KEY_PREFIX = 'base_model.model.';

/** Key of the shared vector bank (adapter name removed, as PEFT saves it). */
export const BANK_KEY = 'base_model.vblora_vector_bank';

/** File names inside an adapter directory. */
export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
/** The safetensors weights file of an adapter directory. */
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';

/** The factor a key belongs to, and in which form. */
export type FactorKeyKind = 'logits' | 'topk_indices' | 'topk_weights';

/** A parsed VB-LoRA tensor key. */
export interface ParsedFactorKey {
  readonly path: string;
  readonly factor: 'A' | 'B';
  readonly kind: FactorKeyKind;
}

const FACTOR_KEY = /^base_model\.model\.(.+)\.vblora_logits_([AB])(_topk_indices|_topk_weights)?$/;

/** Parses `base_model.model.<path>.vblora_logits_{A,B}[_topk_indices|_topk_weights]`; null for other keys. */
export function parseFactorKey(key: string): ParsedFactorKey | null {
  const m = FACTOR_KEY.exec(key);
  if (m === null) return null;
  const suffix = m[3];
  const kind: FactorKeyKind =
    suffix === '_topk_indices' ? 'topk_indices' : suffix === '_topk_weights' ? 'topk_weights' : 'logits';
  return { path: m[1]!, factor: m[2] as 'A' | 'B', kind };
}

/** Builds the checkpoint key of one factor tensor. */
export function factorKey(path: string, factor: 'A' | 'B', kind: FactorKeyKind): string {
  const suffix = kind === 'logits' ? '' : kind === 'topk_indices' ? '_topk_indices' : '_topk_weights';
  return `${MODULE_KEY_PREFIX}${path}.vblora_logits_${factor}${suffix}`;
}

/** True for keys that hold VB-LoRA state (logits, top-k tensors or the bank), as PEFT's filter sees them. */
export function isVBLoRAKey(key: string): boolean {
  return key === BANK_KEY || key.includes('vblora_logits') || key.includes('vblora_vector_bank');
}
