/**
 * `SingleHeadAttention`: softmax(q·kᵀ / √d)·v with one head and no mask, the attention of the golden toy models
 * (generator/toy_models.py). Takes [q, k, v], or one fused (…, 3·d) tensor split in three (GPT-2's c_attn). In an
 * emulated half-precision model every torch op result is rounded, softmax included (see {@link softmaxRounded}).
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { WeightDType } from '@vblora/core';
import { roundTo } from '../ops/round-dtype.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/**
 * Softmax over the last axis in torch's CPU order, e = exp(s − max), w = e · (1/Σe), with each step rounded to
 * `dtype` as torch 1.13's vectorised bf16 kernel does (subtraction, exp, the running sum, the reciprocal, the
 * product). For float32 nothing is rounded.
 */
export function softmaxRounded(s: tf.Tensor, dtype: WeightDType): tf.Tensor {
  return tf.tidy(() => {
    const m = tf.max(s, -1, true);
    const e = roundTo(tf.exp(roundTo(tf.sub(s, m), dtype)), dtype);
    let sum: tf.Tensor;
    if (dtype === 'f32') {
      sum = tf.sum(e, -1, true);
    } else {
      // sequential half-precision accumulation, one rounding per addition
      const cols = tf.split(e, e.shape[e.shape.length - 1]!, -1);
      sum = cols[0]!;
      for (const c of cols.slice(1)) sum = roundTo(tf.add(sum, c), dtype);
    }
    return roundTo(tf.mul(e, roundTo(tf.reciprocal(sum), dtype)), dtype);
  });
}

/** Single-head attention over (batch, seq, d) tensors. */
export class SingleHeadAttention extends tf.layers.Layer {
  /** Class name used by tf.js serialisation. */
  static className = 'VBLoRASingleHeadAttention';
  /** Emulated dtype of the activations. */
  readonly dtypeEmulated: WeightDType;
  /** True when the input is one (…, 3·d) tensor holding q, k and v side by side. */
  readonly fused: boolean;

  constructor(args: LayerArgs & { emulate: WeightDType; fused: boolean }) {
    super(args);
    this.dtypeEmulated = args.emulate;
    this.fused = args.fused;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const first = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const d = first[first.length - 1];
    return [...first.slice(0, -1), this.fused && d != null ? d / 3 : d ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const [q, k, v] = this.fused ? tf.split(list[0]!, 3, -1) : list;
      const dt = this.dtypeEmulated;
      const d = q!.shape[q!.shape.length - 1]!;
      const scores = roundTo(tf.div(roundTo(tf.matMul(q!, k!, false, true), dt), tf.scalar(Math.sqrt(d))), dt);
      return roundTo(tf.matMul(softmaxRounded(scores, dt), v!), dt);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), emulate: this.dtypeEmulated, fused: this.fused };
  }
}
