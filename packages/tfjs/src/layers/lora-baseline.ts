/**
 * `applyLoRA`: plain LoRA (Hu et al.) on the same Dense layers, as the baseline VB-LoRA is compared with —
 * y = base(x) + (α/r)·(drop-free x·Aᵀ)·Bᵀ, A (r, in) ~ U(−1/√in, 1/√in) (PEFT's kaiming-uniform default),
 * B (out, r) = 0. Trainable by the same loop as VB-LoRA.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { AdapterError, createRng, matchesSuffixList } from '@vblora/core';
import { lowRankTerm } from '../ops/compose.js';
import type { TrainableModel, VariableGroups } from '../training/trainable.js';
import { patchCall, requireLinearActivation, unpatchCall } from './adapted-dense.js';
import { modelModules, type ModelModule, type ModuleMappingOptions } from './module-paths.js';

/** Options of {@link applyLoRA}. */
export interface LoRAOptions extends ModuleMappingOptions {
  /** Rank. */
  readonly r: number;
  /** Scaling numerator (default r, i.e. scale 1). */
  readonly alpha?: number;
  /** Module names, PEFT's list rule (exact name or `.`-suffix). */
  readonly targetModules: readonly string[];
  /** Seed of A's initialisation (default 0). */
  readonly seed?: number;
}

/** One LoRA-adapted layer: its module and factors A (r, in), B (out, r). */
export interface LoRALayer {
  readonly module: ModelModule;
  readonly A: tf.Variable;
  readonly B: tf.Variable;
}

/** A tf.js model with plain LoRA on some Dense layers. */
export class LoRAModel implements TrainableModel {
  /** The wrapped tf.js model. */
  readonly model: tf.LayersModel;
  /** Adapted layers by PEFT path. */
  readonly layers: ReadonlyMap<string, LoRALayer>;
  private readonly scale: number;

  constructor(model: tf.LayersModel, options: LoRAOptions) {
    this.model = model;
    this.scale = (options.alpha ?? options.r) / options.r;
    const rng = createRng(options.seed ?? 0);
    const layers = new Map<string, LoRALayer>();
    for (const m of modelModules(model, options)) {
      if (m.kind === 'other' || !matchesSuffixList(m.path, options.targetModules)) continue;
      requireLinearActivation(m);
      const bound = 1 / Math.sqrt(m.inFeatures);
      const a = Float32Array.from({ length: options.r * m.inFeatures }, () => bound * (2 * rng.uniform() - 1));
      const entry: LoRALayer = {
        module: m,
        A: tf.tidy(() => tf.variable(tf.tensor2d(a, [options.r, m.inFeatures]))),
        B: tf.tidy(() => tf.variable(tf.zeros([m.outFeatures, options.r]))),
      };
      const original = patchCall(m.layer, (inputs, kwargs) => {
        const base = original(inputs, kwargs) as tf.Tensor;
        const x = Array.isArray(inputs) ? inputs[0]! : inputs;
        return tf.tidy(() =>
          tf.add(base, tf.mul(lowRankTerm(x, entry.A as tf.Tensor2D, entry.B as tf.Tensor2D), this.scale)),
        );
      });
      layers.set(m.path, entry);
    }
    if (layers.size === 0)
      throw new AdapterError(`no Dense layer matches target modules ${options.targetModules.join(', ')}`);
    this.layers = layers;
  }

  /** No mode-dependent behaviour (LoRA without dropout). */
  train(): void {}

  /** No mode-dependent behaviour. */
  eval(): void {}

  /** Nothing is cached. */
  invalidate(): void {}

  /** A and B of every layer, in the `other` group. */
  trainableVariables(): VariableGroups {
    return { logits: [], bank: [], other: [...this.layers.values()].flatMap((l) => [l.A, l.B]) };
  }

  /** Runs the model eagerly on `x`. */
  predict(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.model.apply(x) as tf.Tensor);
  }

  /** Removes LoRA from the layers and frees A and B. */
  dispose(): void {
    for (const l of this.layers.values()) {
      unpatchCall(l.module.layer);
      l.A.dispose();
      l.B.dispose();
    }
  }
}

/**
 * Wraps the named Dense layers with plain LoRA of rank r (the baseline for VB-LoRA comparisons).
 * @example
 * ```ts
 * const lora = applyLoRA(toy.model, { r: 4, targetModules: ['q_proj', 'v_proj'] });
 * ```
 */
export function applyLoRA(model: tf.LayersModel, options: LoRAOptions): LoRAModel {
  return new LoRAModel(model, options);
}
