/**
 * Entry points: wrap a tf.js model with a new VB-LoRA adapter, or with adapters read from PEFT checkpoints.
 * @module
 */
import type * as tf from '@tensorflow/tfjs';
import type { VBLoRAAdapter, VBLoRAConfig } from '@vblora/core';
import type { ToyModel } from '../models/toy-model.js';
import { VBLoRAModel, type VBLoRAModelOptions } from './vblora-model.js';

/** Options of {@link applyVBLoRA}. */
export interface ApplyVBLoRAOptions extends VBLoRAModelOptions {
  /** Name of the new adapter (default `default`). */
  readonly adapterName?: string;
  /** Seed of the adapter's initialisation (default 0). */
  readonly seed?: number;
}

/**
 * Wraps the Dense layers PEFT's targeting rules select with a freshly initialised VB-LoRA adapter (active).
 * @throws {TargetingError} / {ConfigError} with PEFT's messages when the config selects nothing or is invalid.
 * @example
 * ```ts
 * const vb = applyVBLoRA(model, { r: 4, num_vectors: 64, vector_length: 16, topk: 2, target_modules: ['q_proj', 'v_proj'] });
 * const y = vb.predict(x);
 * ```
 */
export function applyVBLoRA(
  model: tf.LayersModel,
  config: Partial<VBLoRAConfig>,
  options: ApplyVBLoRAOptions = {},
): VBLoRAModel {
  const vb = new VBLoRAModel(model, options);
  vb.addAdapter(options.adapterName ?? 'default', config, options.seed === undefined ? {} : { seed: options.seed });
  return vb;
}

/**
 * Wraps a tf.js model with adapters read from PEFT checkpoints (core's `readAdapterDir` / `adapterFromFiles`);
 * the first one is active.
 * @example
 * ```ts
 * const { adapter } = await readAdapterDir('./peft-adapter');
 * const vb = loadVBLoRA(model, adapter);
 * ```
 */
export function loadVBLoRA(
  model: tf.LayersModel,
  adapters: VBLoRAAdapter | readonly VBLoRAAdapter[],
  options: VBLoRAModelOptions = {},
): VBLoRAModel {
  const vb = new VBLoRAModel(model, options);
  for (const a of Array.isArray(adapters) ? adapters : [adapters as VBLoRAAdapter]) vb.loadAdapter(a);
  return vb;
}

/** The wrapping options a toy model needs: its PEFT layer kinds and its emulated dtype. */
export function toyOptions(toy: ToyModel): VBLoRAModelOptions {
  return { kindOf: (path) => (toy.kindOf(path) === 'conv1d' ? 'conv1d' : 'linear'), dtype: toy.dtype };
}
