import type { VBLoRAConfig } from '../config/index.js';
import type { HostTensor } from '../tensor/index.js';

/** Float dtypes an adapter tensor may be stored in (PEFT stores float32 unless autocast was disabled). */
export type AdapterFloatDType = 'f32' | 'bf16' | 'f16';

/**
 * Full logits of one low-rank matrix, as trained: A `(r, in/vl, nv)` (rank-major) or B `(out/vl, r, nv)`
 * (tile-major). Entries may be `-inf` (logits rebuilt from a top-k checkpoint).
 */
export interface LogitsFactor {
  readonly kind: 'logits';
  readonly logits: HostTensor<AdapterFloatDType>;
}

/**
 * The top-k form of one low-rank matrix, as a `save_only_topk_weights` checkpoint stores it: `indices (…, k)`
 * (any integer dtype, descending logit order) and the k−1 largest softmax weights `(…, k−1)`.
 */
export interface TopkFactor {
  readonly kind: 'topk';
  readonly indices: HostTensor;
  readonly weights: HostTensor<AdapterFloatDType>;
}

/** One factor (A or B) of a module, in either stored form. */
export type Factor = LogitsFactor | TopkFactor;

/** One adapted module: its PEFT path inside the base model and its two factors. */
export interface AdapterModule {
  /** PEFT module path without `base_model.model.`, e.g. `model.layers.0.self_attn.q_proj`. */
  readonly path: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly a: Factor;
  readonly b: Factor;
}

/**
 * A VB-LoRA adapter in memory: config, the shared vector bank `(nv, vl)`, one entry per adapted module (in file
 * order), and the other tensors PEFT saves beside them (trained biases, modules_to_save copies) under their full
 * checkpoint keys.
 */
export interface VBLoRAAdapter {
  /** Adapter name (`default` lives in the directory itself, any other name in a sub-folder). */
  readonly name: string;
  readonly config: VBLoRAConfig;
  readonly bank: HostTensor<AdapterFloatDType>;
  readonly modules: ReadonlyMap<string, AdapterModule>;
  /** Non-VB-LoRA tensors saved with the adapter, keyed exactly as in the file (`base_model.model.head.weight`). */
  readonly extraTensors: ReadonlyMap<string, HostTensor>;
  /** Metadata of the safetensors file (PEFT writes `{ format: 'pt' }`). */
  readonly metadata: Readonly<Record<string, string>> | null;
}

/** Which flavour an adapter's factors are stored in: all logits, all top-k, or a mix (never written by PEFT). */
export function adapterFlavour(adapter: VBLoRAAdapter): 'full' | 'topk' | 'mixed' {
  let logits = 0;
  let topk = 0;
  for (const m of adapter.modules.values()) {
    for (const f of [m.a, m.b]) {
      if (f.kind === 'logits') logits += 1;
      else topk += 1;
    }
  }
  if (topk === 0) return 'full';
  if (logits === 0) return 'topk';
  return 'mixed';
}
