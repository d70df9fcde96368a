/**
 * The non-VB-LoRA tensors PEFT saves with an adapter (SPEC §5.5): trained biases (`bias` = `vblora_only` / `all`)
 * and `modules_to_save` copies, between checkpoint keys and tf.js layers.
 * @internal
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import {
  AdapterError,
  baseKeyOfExtra,
  fromF32,
  MODULE_KEY_PREFIX,
  tensor,
  toF32,
  type HostTensor,
  type VBLoRAAdapter,
  type VBLoRAConfig,
  type WeightDType,
} from '@vblora/core';
import { denseVariables, readBias, writeBias } from './dense-weights.js';
import type { ModelModule } from './module-paths.js';
import type { SavedModule } from './saved-module.js';

/** Where an extra tensor goes: a layer's own bias, or a modules_to_save copy's kernel or bias. */
export interface ExtraTarget {
  readonly module: ModelModule;
  readonly param: 'weight' | 'bias';
  readonly savedCopy: boolean;
}

/** Resolves a checkpoint key (`base_model.model.head.weight`, `…q_proj.base_layer.bias`) to its layer. */
export function extraTarget(
  key: string,
  byPath: ReadonlyMap<string, ModelModule>,
  saved: ReadonlySet<string>,
): ExtraTarget {
  const base = baseKeyOfExtra(key);
  const dot = base.lastIndexOf('.');
  const path = base.slice(0, dot);
  const param = base.slice(dot + 1);
  const module = byPath.get(path);
  if (module === undefined || module.kind === 'other' || (param !== 'weight' && param !== 'bias')) {
    throw new AdapterError(
      `the adapter carries ${key}, but the model has no Dense layer ${path} with a ${param}`,
      path,
    );
  }
  if (!saved.has(path) && param === 'weight') {
    throw new AdapterError(`the adapter carries ${key}, but ${path} is not in modules_to_save`, path);
  }
  return { module, param, savedCopy: saved.has(path) };
}

/** Writes a trained bias into the layer itself, as PEFT does on load (its disabled output keeps it, SPEC §6.3). */
export function loadBias(t: ExtraTarget, value: HostTensor): void {
  writeBias(t.module.layer, value);
}

/**
 * Kernel/bias values of a modules_to_save copy from an adapter's `base_model.model.<path>.weight|bias` tensors
 * (PEFT layout), falling back to the layer's own values for a missing tensor. The caller owns the tensors.
 */
export function copyValues(
  module: ModelModule,
  adapter: VBLoRAAdapter,
  path: string,
): { kernel: tf.Tensor; bias: tf.Tensor | null } {
  const weight = adapter.extraTensors.get(`${MODULE_KEY_PREFIX}${path}.weight`);
  const bias = adapter.extraTensors.get(`${MODULE_KEY_PREFIX}${path}.bias`);
  const { kernel, bias: b } = denseVariables(module.layer);
  const k =
    weight === undefined
      ? kernel.read().clone()
      : tf.tidy(() => {
          const w = tf.tensor2d(toF32(weight).data, weight.shape as [number, number]);
          return module.kind === 'conv1d' ? w : w.transpose();
        });
  const bv = b === null ? null : bias === undefined ? b.read().clone() : tf.tensor1d(toF32(bias).data);
  return { kernel: k, bias: bv };
}

/** The extra tensors to save for an adapter, keyed as PEFT keys them, in the model's dtype. */
export function extraTensorsOf(
  config: VBLoRAConfig,
  adapter: string,
  adapted: ReadonlySet<string>,
  modules: readonly ModelModule[],
  saved: ReadonlyMap<string, SavedModule>,
  dtype: WeightDType,
): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  const cast = (t: HostTensor<'f32'>): HostTensor => fromF32(t, dtype);
  for (const m of modules) {
    if (m.kind === 'other') continue;
    const copy = saved.get(m.path)?.copies.get(adapter);
    if (copy !== undefined) {
      const k = tf.tidy(() => (m.kind === 'conv1d' ? copy.kernel.clone() : copy.kernel.transpose()));
      out.set(`${MODULE_KEY_PREFIX}${m.path}.weight`, cast(tensor('f32', k.shape, k.dataSync() as Float32Array)));
      k.dispose();
      if (copy.bias !== null)
        out.set(
          `${MODULE_KEY_PREFIX}${m.path}.bias`,
          cast(tensor('f32', copy.bias.shape, Float32Array.from(copy.bias.dataSync()))),
        );
      continue;
    }
    const bias = config.bias === 'none' || !m.hasBias ? null : readBias(m.layer);
    if (bias === null) continue;
    if (adapted.has(m.path)) out.set(`${MODULE_KEY_PREFIX}${m.path}.base_layer.bias`, cast(bias));
    else if (config.bias === 'all') out.set(`${MODULE_KEY_PREFIX}${m.path}.bias`, cast(bias));
  }
  return out;
}

/**
 * Checks that every module of an adapter is a Dense layer of the model with the same sizes.
 * @throws {AdapterError} naming the first module that does not fit.
 */
export function checkAdapterFits(adapter: VBLoRAAdapter, byPath: ReadonlyMap<string, ModelModule>, name: string): void {
  for (const m of adapter.modules.values()) {
    const layer = byPath.get(m.path);
    if (layer === undefined || layer.kind === 'other')
      throw new AdapterError(`the model has no Dense layer ${m.path} for adapter "${name}"`, m.path);
    if (layer.inFeatures !== m.inFeatures || layer.outFeatures !== m.outFeatures) {
      throw new AdapterError(
        `${m.path} is ${layer.inFeatures} → ${layer.outFeatures} in the model but ${m.inFeatures} → ${m.outFeatures} in adapter "${name}"`,
        m.path,
      );
    }
  }
}

/** Paths of the layers a config's `modules_to_save` wraps (PEFT's `endswith` rule). */
export function savedPaths(config: VBLoRAConfig, modules: readonly ModelModule[]): Set<string> {
  const entries = config.modules_to_save ?? [];
  return new Set(
    modules.filter((m) => m.kind !== 'other' && entries.some((e) => m.path.endsWith(e))).map((m) => m.path),
  );
}
