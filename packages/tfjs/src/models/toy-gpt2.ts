/**
 * ToyGPT2 (generator/toy_models.py): per block `q, k, v = split(c_attn(x))`, `x = x + attn.c_proj(attn(q, k, v))`,
 * `x = x + mlp.c_proj(relu(mlp.c_fc(x)))`. Every layer is a GPT-2 Conv1D (weight (in, out), with bias), which is a
 * tf.js Dense layer as is.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { WeightDType } from '@vblora/core';
import { SingleHeadAttention } from './attention-layer.js';
import { roundSymbolic } from './round-layer.js';
import { initToyWeights, peftDense, type ToyModel } from './toy-model.js';

/** Sizes, dtype and seed of a ToyGPT2 (defaults: the golden fixture's 64 / 256 / 2 blocks). */
export interface ToyGPT2Options {
  readonly hidden?: number;
  readonly intermediate?: number;
  readonly layers?: number;
  readonly dtype?: WeightDType;
  /** Seed of the deterministic initialisation (default 0). */
  readonly seed?: number;
}

/**
 * Builds a ToyGPT2 whose Dense layers carry PEFT's module names (`transformer.h.0.attn.c_attn`, …), all of PEFT
 * kind `conv1d`. Input and output (batch, seq, hidden).
 */
export function buildToyGPT2(options: ToyGPT2Options = {}): ToyModel {
  const { hidden = 64, intermediate = 256, layers = 2, dtype = 'f32', seed = 0 } = options;
  const paths: string[] = [];
  const dense = (name: string, units: number, x: tf.SymbolicTensor): tf.SymbolicTensor => {
    paths.push(name);
    return roundSymbolic(peftDense(name, units, true).apply(x) as tf.SymbolicTensor, dtype);
  };
  const input = tf.input({ shape: [null, hidden], name: 'input' });
  let x: tf.SymbolicTensor = input;
  for (let i = 0; i < layers; i++) {
    const p = `transformer.h.${i}`;
    const qkv = dense(`${p}.attn.c_attn`, 3 * hidden, x);
    const att = new SingleHeadAttention({ name: `${p}.attn.attention`, emulate: dtype, fused: true }).apply(qkv);
    const proj = dense(`${p}.attn.c_proj`, hidden, att as tf.SymbolicTensor);
    x = roundSymbolic(tf.layers.add({ name: `${p}.attn_residual` }).apply([x, proj]) as tf.SymbolicTensor, dtype);
    const fc = dense(`${p}.mlp.c_fc`, intermediate, x);
    const act = tf.layers.reLU({ name: `${p}.mlp.act` }).apply(fc) as tf.SymbolicTensor;
    const down = dense(`${p}.mlp.c_proj`, hidden, act);
    x = roundSymbolic(tf.layers.add({ name: `${p}.mlp_residual` }).apply([x, down]) as tf.SymbolicTensor, dtype);
  }
  const toy: ToyModel = {
    model: tf.model({ inputs: input, outputs: x, name: 'ToyGPT2' }),
    family: 'gpt2',
    dtype,
    modulePaths: paths,
    kindOf: () => 'conv1d',
  };
  initToyWeights(toy, seed);
  return toy;
}
