/**
 * What the training loop needs from a wrapped model: its tf.js model, a training/inference switch, the variables
 * to train (grouped for separate learning rates) and a hook after each update. `VBLoRAModel` and the plain-LoRA
 * baseline `LoRAModel` both provide it.
 * @module
 */
import type * as tf from '@tensorflow/tfjs';

/** Trainable variables grouped by role. */
export interface VariableGroups {
  /** VB-LoRA logits (paper: lr 1e-2). */
  readonly logits: tf.Variable[];
  /** VB-LoRA vector banks (paper: lr 1e-3). */
  readonly bank: tf.Variable[];
  /** Anything else: trained biases, modules_to_save copies, plain-LoRA factors. */
  readonly other: tf.Variable[];
}

/** A model the training loop can train. */
export interface TrainableModel {
  readonly model: tf.LayersModel;
  /** Switches to training mode (dropout on, nothing cached). */
  train(): void;
  /** Switches to inference mode. */
  eval(): void;
  /** The variables to update, by group. */
  trainableVariables(): VariableGroups;
  /** Called after every update (drops cached matrices). */
  invalidate(): void;
  /** Throws when training cannot start (e.g. an adapter read from a top-k checkpoint). */
  assertTrainable?(): void;
}
