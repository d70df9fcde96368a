/**
 * The toy models of PEFT's golden fixtures (generator/toy_models.py) as tf.js functional models whose Dense
 * layers are named by their PEFT module paths. Half-precision models are emulated: weights hold bf16/f16 values
 * and activations are rounded wherever torch rounds them.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import {
  AdapterError,
  createRng,
  roundToBf16,
  roundToF16,
  tensor,
  type HostTensor,
  type ModuleKind,
  type WeightDType,
} from '@vblora/core';
import { denseDims, readBias, readPeftWeight, writeBias, writePeftWeight } from '../layers/dense-weights.js';

/** Which golden toy model. */
export type ToyFamily = 'llama' | 'gpt2' | 'linear';

/** A toy model: the tf.js model plus what PEFT needs to know about its layers. */
export interface ToyModel {
  readonly model: tf.LayersModel;
  readonly family: ToyFamily;
  /** Emulated dtype of weights and activations. */
  readonly dtype: WeightDType;
  /** PEFT module paths of the Dense layers, in PEFT's `named_modules()` order. */
  readonly modulePaths: readonly string[];
  /** The PEFT layer type of a module path: `linear` (nn.Linear) or `conv1d` (GPT-2 Conv1D). */
  kindOf(path: string): ModuleKind;
}

/** Dense layer named by its PEFT path; weights are set afterwards (see {@link initToyWeights}). */
export function peftDense(name: string, units: number, useBias: boolean): tf.layers.Layer {
  return tf.layers.dense({ name, units, useBias, kernelInitializer: 'zeros', biasInitializer: 'zeros' });
}

/** The Dense layer of a toy model at a PEFT path. */
export function toyLayer(toy: ToyModel, path: string): tf.layers.Layer {
  try {
    return toy.model.getLayer(path);
  } catch (e) {
    throw new AdapterError(`the ${toy.family} toy model has no layer ${path}`, path, { cause: e });
  }
}

/**
 * Seeded initialisation, the same on every platform: torch's nn.Linear default U(−1/√in, 1/√in) for weights and
 * biases of `linear` layers, GPT-2's N(0, 0.02) weights and zero biases for `conv1d` layers; rounded to the model dtype.
 */
export function initToyWeights(toy: ToyModel, seed: number): void {
  const rng = createRng(seed);
  const round = toy.dtype === 'bf16' ? roundToBf16 : toy.dtype === 'f16' ? roundToF16 : Math.fround;
  for (const path of toy.modulePaths) {
    const layer = toyLayer(toy, path);
    const [inF, outF] = denseDims(layer);
    const kind = toy.kindOf(path);
    const bound = 1 / Math.sqrt(inF);
    const draw = kind === 'conv1d' ? () => 0.02 * rng.normal() : () => bound * (2 * rng.uniform() - 1);
    const shape = kind === 'conv1d' ? [inF, outF] : [outF, inF];
    writePeftWeight(
      layer,
      kind,
      tensor(
        'f32',
        shape,
        Float32Array.from({ length: inF * outF }, () => round(draw())),
      ),
    );
    if (readBias(layer) !== null) {
      const b = Float32Array.from({ length: outF }, () =>
        kind === 'conv1d' ? 0 : round(bound * (2 * rng.uniform() - 1)),
      );
      writeBias(layer, tensor('f32', [outF], b));
    }
  }
}

/**
 * Loads a PEFT state dict (`<path>.weight`, `<path>.bias`, as in base.safetensors) into a toy model.
 * @throws {AdapterError} when a layer's weight or bias is missing.
 * @throws {ShapeError} when a shape does not fit.
 */
export function loadToyStateDict(toy: ToyModel, stateDict: ReadonlyMap<string, HostTensor>): void {
  for (const path of toy.modulePaths) {
    const layer = toyLayer(toy, path);
    const weight = stateDict.get(`${path}.weight`);
    if (weight === undefined) throw new AdapterError(`the state dict has no ${path}.weight`, path);
    writePeftWeight(layer, toy.kindOf(path), weight);
    if (readBias(layer) !== null) {
      const bias = stateDict.get(`${path}.bias`);
      if (bias === undefined) throw new AdapterError(`the state dict has no ${path}.bias`, path);
      writeBias(layer, bias);
    }
  }
}

/** The toy model's weights as a PEFT state dict (float32 values; round with core's fromF32 for half models). */
export function toyStateDict(toy: ToyModel): Map<string, HostTensor<'f32'>> {
  const out = new Map<string, HostTensor<'f32'>>();
  for (const path of toy.modulePaths) {
    const layer = toyLayer(toy, path);
    out.set(`${path}.weight`, readPeftWeight(layer, toy.kindOf(path)));
    const bias = readBias(layer);
    if (bias !== null) out.set(`${path}.bias`, bias);
  }
  return out;
}
