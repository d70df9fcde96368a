/**
 * Types of module targeting: the config fields it reads, its options and its result.
 * @module
 */
import type { ModuleKind } from './module-info.js';

/**
 * The `adapter_config.json` fields that targeting reads (snake_case, as in the file); structurally a subset of
 * the full VB-LoRA config, so a whole config can be passed. Absent fields take PEFT's defaults
 * (`r` 4, `topk` 2, `vector_length` 256, `fan_in_fan_out` false, the rest null).
 */
export interface TargetingConfig {
  readonly r?: number;
  readonly topk?: number;
  readonly vector_length?: number;
  readonly target_modules?: readonly string[] | string | null;
  readonly exclude_modules?: readonly string[] | string | null;
  readonly modules_to_save?: readonly string[] | null;
  readonly layers_to_transform?: readonly number[] | number | null;
  readonly layers_pattern?: readonly string[] | string | null;
  readonly fan_in_fan_out?: boolean;
}

/** Options of {@link resolveTargets} for what PEFT would read from a transformers model. */
export interface ResolveTargetsOptions {
  /**
   * `config.model_type` of the base model, used when `target_modules` is null (PEFT's
   * `TRANSFORMERS_MODELS_TO_VBLORA_TARGET_MODULES_MAPPING`); absent means a plain module (`"custom"`).
   */
  readonly modelType?: string;
  /**
   * Module path of the output embedding (e.g. `lm_head`) or, for sequence-classification models without one,
   * of the head (`score`/`classifier`). `"all-linear"` leaves it out, as PEFT does for transformers models;
   * our inputs are name lists, not `PreTrainedModel`s, so nothing is left out unless this is given.
   */
  readonly outputEmbedding?: string;
}

/** One module that gets a VB-LoRA adapter, in injection order. */
export interface TargetedModule {
  readonly name: string;
  readonly kind: Exclude<ModuleKind, 'other'>;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** True for Conv1D (weight stored `(in, out)`, delta transposed), false for Linear, whatever the config said. */
  readonly fanInFanOut: boolean;
}

/** A config after targeting: the input's fields, with `target_modules` resolved and `fan_in_fan_out` corrected. */
export type ResolvedTargetingConfig<C extends TargetingConfig> = Omit<C, 'target_modules' | 'fan_in_fan_out'> & {
  readonly target_modules: string[] | string;
  readonly fan_in_fan_out: boolean;
};

/** What {@link resolveTargets} found. */
export interface TargetingResult<C extends TargetingConfig> {
  readonly targets: TargetedModule[];
  /** Modules wrapped as `modules_to_save` (trained and saved in full), in module order. */
  readonly modulesToSave: string[];
  /** PEFT's warnings, each text once (Python shows a repeated warning once). */
  readonly warnings: string[];
  /**
   * The config as PEFT leaves it after injection: `target_modules` resolved (model-type default, `"all-linear"`
   * expanded to module names, lists of 20 or more condensed to suffixes) and `fan_in_fan_out` corrected to the
   * kind of the last target. This is what PEFT writes to `adapter_config.json`.
   */
  readonly config: ResolvedTargetingConfig<C>;
}
