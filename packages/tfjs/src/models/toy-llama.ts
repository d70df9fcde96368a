/**
 * ToyLlama (generator/toy_models.py): per layer `x = x + o_proj(attn(q, k, v))`, `x = x + down_proj(relu(up_proj(x)))`,
 * then `head`. Linear layers: q/k/v (bias), o (no bias), up (bias), down (no bias), head (bias).
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { WeightDType } from '@vblora/core';
import { SingleHeadAttention } from './attention-layer.js';
import { roundSymbolic } from './round-layer.js';
import { initToyWeights, peftDense, type ToyModel } from './toy-model.js';

/** Sizes, dtype and seed of a ToyLlama (defaults: the golden fixtures' 64 / 128 / 2 layers / 32 outputs). */
export interface ToyLlamaOptions {
  readonly hidden?: number;
  readonly intermediate?: number;
  readonly layers?: number;
  readonly nOut?: number;
  readonly dtype?: WeightDType;
  /** Seed of the deterministic initialisation (default 0). */
  readonly seed?: number;
}

/**
 * Builds a ToyLlama whose Dense layers carry PEFT's module names (`model.layers.0.self_attn.q_proj`, …, `head`).
 * Input (batch, seq, hidden), output (batch, seq, nOut).
 * @example
 * ```ts
 * const toy = buildToyLlama({ seed: 1, hidden: 64, layers: 2 });
 * const y = toy.model.predict(tf.randomNormal([2, 5, 64])) as tf.Tensor;
 * ```
 */
export function buildToyLlama(options: ToyLlamaOptions = {}): ToyModel {
  const { hidden = 64, intermediate = 128, layers = 2, nOut = 32, dtype = 'f32', seed = 0 } = options;
  const paths: string[] = [];
  const dense = (name: string, units: number, bias: boolean, x: tf.SymbolicTensor): tf.SymbolicTensor => {
    paths.push(name);
    return roundSymbolic(peftDense(name, units, bias).apply(x) as tf.SymbolicTensor, dtype);
  };
  const input = tf.input({ shape: [null, hidden], name: 'input' });
  let x: tf.SymbolicTensor = input;
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}`;
    const q = dense(`${p}.self_attn.q_proj`, hidden, true, x);
    const k = dense(`${p}.self_attn.k_proj`, hidden, true, x);
    const v = dense(`${p}.self_attn.v_proj`, hidden, true, x);
    const att = new SingleHeadAttention({ name: `${p}.self_attn.attention`, emulate: dtype, fused: false }).apply([
      q,
      k,
      v,
    ]);
    const o = dense(`${p}.self_attn.o_proj`, hidden, false, att as tf.SymbolicTensor);
    x = roundSymbolic(tf.layers.add({ name: `${p}.attn_residual` }).apply([x, o]) as tf.SymbolicTensor, dtype);
    const up = dense(`${p}.mlp.up_proj`, intermediate, true, x);
    const act = tf.layers.reLU({ name: `${p}.mlp.act` }).apply(up) as tf.SymbolicTensor;
    const down = dense(`${p}.mlp.down_proj`, hidden, false, act);
    x = roundSymbolic(tf.layers.add({ name: `${p}.mlp_residual` }).apply([x, down]) as tf.SymbolicTensor, dtype);
  }
  const out = dense('head', nOut, true, x);
  const toy: ToyModel = {
    model: tf.model({ inputs: input, outputs: out, name: 'ToyLlama' }),
    family: 'llama',
    dtype,
    modulePaths: paths,
    kindOf: () => 'linear',
  };
  initToyWeights(toy, seed);
  return toy;
}
