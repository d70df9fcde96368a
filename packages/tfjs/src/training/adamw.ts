/**
 * AdamW (Loshchilov & Hutter) with parameter groups, each with its own learning rate and decoupled weight decay,
 * exactly torch.optim.AdamW's update: p ← p·(1 − lr·wd); m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
 * p ← p − lr·(m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε).
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '@vblora/core';

/** One parameter group. */
export interface ParamGroup {
  readonly variables: readonly tf.Variable[];
  readonly lr: number;
  /** Decoupled weight decay (default 0). */
  readonly weightDecay?: number;
}

/** Hyper-parameters shared by all groups (torch's defaults). */
export interface AdamWOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
}

interface Slot {
  readonly variable: tf.Variable;
  readonly lr: number;
  readonly wd: number;
  readonly m: tf.Variable;
  readonly v: tf.Variable;
}

/** AdamW over parameter groups; `step(grads)` applies one update. */
export class AdamW {
  private readonly slots: Slot[] = [];
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private t = 0;

  constructor(groups: readonly ParamGroup[], options: AdamWOptions = {}) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    const seen = new Set<tf.Variable>();
    for (const g of groups) {
      if (!(g.lr >= 0) || !((g.weightDecay ?? 0) >= 0)) {
        throw new ConfigError(
          `learning rates and weight decays must be ≥ 0, got lr ${g.lr}, weight decay ${g.weightDecay}`,
        );
      }
      for (const variable of g.variables) {
        if (seen.has(variable)) throw new ConfigError(`variable ${variable.name} is in two parameter groups`);
        seen.add(variable);
      }
    }
    for (const g of groups) {
      for (const variable of g.variables) {
        const zeros = (): tf.Variable => tf.tidy(() => tf.variable(tf.zerosLike(variable), false));
        this.slots.push({ variable, lr: g.lr, wd: g.weightDecay ?? 0, m: zeros(), v: zeros() });
      }
    }
  }

  /** Number of steps taken. */
  get steps(): number {
    return this.t;
  }

  /** All variables the optimizer updates, in group order. */
  get variables(): tf.Variable[] {
    return this.slots.map((s) => s.variable);
  }

  /** Applies one update; `grads` maps variable names to gradients (as `tf.variableGrads` returns them). */
  step(grads: Readonly<Record<string, tf.Tensor>>): void {
    this.t += 1;
    const bc1 = 1 - this.beta1 ** this.t;
    const bc2 = 1 - this.beta2 ** this.t;
    tf.tidy(() => {
      for (const s of this.slots) {
        const g = grads[s.variable.name];
        if (g === undefined) continue;
        const m = tf.add(tf.mul(s.m, this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(s.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        s.m.assign(m);
        s.v.assign(v);
        const decayed = s.wd === 0 ? s.variable : tf.mul(s.variable, 1 - s.lr * s.wd);
        const update = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), this.epsilon));
        s.variable.assign(tf.sub(decayed, tf.mul(update, s.lr)));
      }
    });
  }

  /** Frees the optimizer state. */
  dispose(): void {
    for (const s of this.slots) {
      s.m.dispose();
      s.v.dispose();
    }
  }
}
