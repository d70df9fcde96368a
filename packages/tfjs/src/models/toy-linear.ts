/**
 * ToyLinear (generator/toy_models.py): one bias-free Linear named `proj`, the model of the numeric edge-case fixture.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { WeightDType } from '@vblora/core';
import { roundSymbolic } from './round-layer.js';
import { initToyWeights, peftDense, type ToyModel } from './toy-model.js';

/** Sizes, dtype and seed of a ToyLinear (defaults 32 → 32). */
export interface ToyLinearOptions {
  readonly nIn?: number;
  readonly nOut?: number;
  readonly dtype?: WeightDType;
  readonly seed?: number;
}

/** Builds a ToyLinear: input (batch, seq, nIn) → `proj` → (batch, seq, nOut). */
export function buildToyLinear(options: ToyLinearOptions = {}): ToyModel {
  const { nIn = 32, nOut = 32, dtype = 'f32', seed = 0 } = options;
  const input = tf.input({ shape: [null, nIn], name: 'input' });
  const out = roundSymbolic(peftDense('proj', nOut, false).apply(input) as tf.SymbolicTensor, dtype);
  const toy: ToyModel = {
    model: tf.model({ inputs: input, outputs: out, name: 'ToyLinear' }),
    family: 'linear',
    dtype,
    modulePaths: ['proj'],
    kindOf: () => 'linear',
  };
  initToyWeights(toy, seed);
  return toy;
}
