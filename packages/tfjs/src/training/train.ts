/**
 * `trainAdapter`: the training loop — for each batch, the loss and its gradients through the differentiable top-k
 * admixture (indices chosen outside the tape, gather + softmax inside), one AdamW step with separate learning
 * rates for logits, bank and the rest, progress reports and a loss history.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '@vblora/core';
import { AdamW, type AdamWOptions } from './adamw.js';
import { mseLoss, type LossFn } from './losses.js';
import type { TrainableModel } from './trainable.js';

/** One training batch. */
export interface Batch {
  readonly x: tf.Tensor;
  readonly y: tf.Tensor;
}

/** Learning rates and weight decays per group; defaults follow the VB-LoRA paper and PEFT's docs. */
export interface OptimizerSettings extends AdamWOptions {
  /** Logits learning rate (default 1e-2). */
  readonly logitsLr?: number;
  /** Vector bank learning rate (default 1e-3). */
  readonly bankLr?: number;
  /** Learning rate of everything else: biases, modules_to_save copies, plain-LoRA factors (default 1e-3). */
  readonly otherLr?: number;
  readonly logitsWeightDecay?: number;
  readonly bankWeightDecay?: number;
  readonly otherWeightDecay?: number;
}

/** Progress after one step. */
export interface TrainProgress {
  /** Steps done (1-based). */
  readonly step: number;
  readonly totalSteps: number;
  readonly loss: number;
  /** Milliseconds since training started. */
  readonly elapsedMs: number;
}

/** Options of {@link trainAdapter}. */
export interface TrainOptions {
  /** Batches, or a function giving the batch of a step (0-based); tensors are not disposed by the loop. */
  readonly batches: readonly Batch[] | ((step: number) => Batch);
  /** Number of steps (default: one pass over `batches` when it is an array). */
  readonly steps?: number;
  /** Loss (default mean squared error). */
  readonly loss?: LossFn;
  /** Learning rates etc. (ignored when `optimizer` is given). */
  readonly optimizer?: OptimizerSettings | AdamW;
  /** Called after every step. */
  readonly onStep?: (progress: TrainProgress) => void;
}

/** What {@link trainAdapter} returns. */
export interface TrainResult {
  /** Loss of every step, before its update. */
  readonly lossHistory: number[];
  /** The optimizer (reuse it to continue training with its moments; dispose it when done). */
  readonly optimizer: AdamW;
}

/** AdamW with the paper's per-group defaults over a model's trainable variables. */
export function createOptimizer(model: TrainableModel, settings: OptimizerSettings = {}): AdamW {
  const groups = model.trainableVariables();
  return new AdamW(
    [
      { variables: groups.logits, lr: settings.logitsLr ?? 1e-2, weightDecay: settings.logitsWeightDecay ?? 0 },
      { variables: groups.bank, lr: settings.bankLr ?? 1e-3, weightDecay: settings.bankWeightDecay ?? 0 },
      { variables: groups.other, lr: settings.otherLr ?? 1e-3, weightDecay: settings.otherWeightDecay ?? 0 },
    ],
    settings,
  );
}

/** The loss of one batch and its gradients for `variables` (keyed by variable name), in training mode. */
export function lossAndGradients(
  model: TrainableModel,
  batch: Batch,
  variables: readonly tf.Variable[],
  loss: LossFn = mseLoss,
): { value: tf.Scalar; grads: Record<string, tf.Tensor> } {
  return tf.variableGrads(() => loss(model.model.apply(batch.x) as tf.Tensor, batch.y), [...variables]);
}

/**
 * Trains the active adapter(s) of a model: `steps` AdamW updates, model left in inference mode.
 * @throws {AdapterError} with PEFT's message when an active adapter came from a top-k checkpoint.
 * @example
 * ```ts
 * const { lossHistory } = await trainAdapter(vb, { batches, steps: 200, onStep: (p) => console.log(p.step, p.loss) });
 * ```
 */
export async function trainAdapter(model: TrainableModel, options: TrainOptions): Promise<TrainResult> {
  model.assertTrainable?.();
  const { batches } = options;
  const steps = options.steps ?? (Array.isArray(batches) ? batches.length : 0);
  if (!Number.isInteger(steps) || steps < 1)
    throw new ConfigError(`steps must be a positive integer, got ${steps}`, 'steps');
  const batchOf =
    typeof batches === 'function' ? batches : (step: number) => (batches as readonly Batch[])[step % batches.length]!;
  const optimizer = options.optimizer instanceof AdamW ? options.optimizer : createOptimizer(model, options.optimizer);
  const lossHistory: number[] = [];
  const start = performance.now();
  model.train();
  try {
    for (let step = 0; step < steps; step++) {
      const { value, grads } = lossAndGradients(model, batchOf(step), optimizer.variables, options.loss);
      optimizer.step(grads);
      model.invalidate();
      const loss = (await value.data())[0]!;
      tf.dispose([value, ...Object.values(grads)]);
      lossHistory.push(loss);
      options.onStep?.({ step: step + 1, totalSteps: steps, loss, elapsedMs: performance.now() - start });
    }
  } finally {
    model.eval();
  }
  return { lossHistory, optimizer };
}
