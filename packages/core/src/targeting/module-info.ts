/**
 * The targeting input: one entry per module of the base model, in `named_modules()` order.
 * @module
 */

/** Layer type as PEFT sees it: `torch.nn.Linear`, GPT-2's `Conv1D`, or anything else (not adaptable). */
export type ModuleKind = 'linear' | 'conv1d' | 'other';

/** One module of the base model; `name` is its path without `base_model.model.` (e.g. `model.layers.0.mlp.up_proj`). */
export interface ModuleInfo {
  readonly name: string;
  readonly kind: ModuleKind;
  /** Input features (Linear: `weight.shape[1]`; Conv1D: `weight.shape[0]`); 0 for modules without a 2-D weight. */
  readonly inFeatures: number;
  /** Output features (Linear: `weight.shape[0]`; Conv1D: `weight.shape[1]`); 0 for modules without a 2-D weight. */
  readonly outFeatures: number;
  readonly hasBias: boolean;
}
