/**
 * `SingleHeadAttention`: softmax(q·kᵀ / √d)·v with one head and no mask, the attention of the golden toy models
 * (generator/toy_models.py). Takes [q, k, v], or one fused (…, 3·d) tensor split in three (GPT-2's c_attn).
 *
 * In an emulated half-precision model it rounds where torch 1.13's CPU kernels round, found by reproducing the
 * bf16 golden fixture bit for bit: q·kᵀ is accumulated in float32 and rounded once; the softmax works in float32
 * and rounds once; p·v goes through torch's generic gemm, whose running sum and products are each rounded to the
 * half dtype, summed over the key positions in order.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { WeightDType } from '@vblora/core';
import { roundTo } from '../ops/round-dtype.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** Softmax over the last axis in torch's CPU float32 order: e = exp(s − max), w = e · (1/Σe). */
export function softmaxTorch(s: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const e = tf.exp(tf.sub(s, tf.max(s, -1, true)));
    return tf.mul(e, tf.reciprocal(tf.sum(e, -1, true)));
  });
}

/** p (…, M, K) · v (…, K, N) with half-precision accumulation: acc ← round(acc + round(p[:, k]·v[k, :])), k in order. */
function matMulHalfAccumulate(p: tf.Tensor, v: tf.Tensor, dtype: WeightDType): tf.Tensor {
  return tf.tidy(() => {
    const K = p.shape[p.shape.length - 1]!;
    const ps = tf.split(p, K, -1);
    const vs = tf.split(v, K, -2);
    let acc: tf.Tensor | null = null;
    for (let k = 0; k < K; k++) {
      const prod = roundTo(tf.mul(ps[k]!, vs[k]!), dtype);
      acc = acc === null ? prod : roundTo(tf.add(acc, prod), dtype);
    }
    return acc!;
  });
}

/** Single-head attention over (batch, seq, d) tensors. */
export class SingleHeadAttention extends tf.layers.Layer {
  /** Class name used by tf.js serialisation. */
  static className = 'VBLoRASingleHeadAttention';
  /** Emulated dtype of the activations. */
  readonly emulate: WeightDType;
  /** True when the input is one (…, 3·d) tensor holding q, k and v side by side. */
  readonly fused: boolean;

  constructor(args: LayerArgs & { emulate: WeightDType; fused: boolean }) {
    super(args);
    this.emulate = args.emulate;
    this.fused = args.fused;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const first = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const d = first[first.length - 1];
    return [...first.slice(0, -1), this.fused && d != null ? d / 3 : (d ?? null)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const [q, k, v] = this.fused ? tf.split(list[0]!, 3, -1) : list;
      const dt = this.emulate;
      const d = q!.shape[q!.shape.length - 1]!;
      const scores = roundTo(tf.div(roundTo(tf.matMul(q!, k!, false, true), dt), tf.scalar(Math.sqrt(d))), dt);
      const p = roundTo(softmaxTorch(scores), dt);
      return dt === 'f32' ? tf.matMul(p, v!) : matMulHalfAccumulate(p, v!, dt);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), emulate: this.emulate, fused: this.fused };
  }
}
