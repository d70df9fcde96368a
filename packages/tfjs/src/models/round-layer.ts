/**
 * `RoundTo`: a layer that rounds its input to bf16/f16 values, placed wherever torch rounds a half-precision
 * model's activations (after every op), so a bf16 PEFT model is reproduced on float32 tf.js.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { WeightDType } from '@vblora/core';
import { roundTo } from '../ops/round-dtype.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** Rounds activations to an emulated half-precision dtype (identity gradient). */
export class RoundTo extends tf.layers.Layer {
  /** Class name used by tf.js serialisation. */
  static className = 'VBLoRARoundTo';
  /** The emulated dtype. */
  readonly target: WeightDType;

  constructor(args: LayerArgs & { target: WeightDType }) {
    super(args);
    this.target = args.target;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => roundTo(Array.isArray(inputs) ? inputs[0]! : inputs, this.target));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), target: this.target };
  }
}

/** Applies `RoundTo(dtype)` to a symbolic tensor, or returns it as is for float32. */
export function roundSymbolic(x: tf.SymbolicTensor, dtype: WeightDType): tf.SymbolicTensor {
  return dtype === 'f32' ? x : (new RoundTo({ target: dtype }).apply(x) as tf.SymbolicTensor);
}
