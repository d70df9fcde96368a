/**
 * Mapping a tf.js model's layers to PEFT module paths. By default a layer's path is its name, prefixed by the
 * names of the nested models around it and joined with `.` (a `/` inside a name also becomes `.`): name your
 * Dense layers after the PyTorch modules (`model.layers.0.self_attn.q_proj`) and PEFT's targeting rules and
 * checkpoint keys apply unchanged. A `pathOf` function replaces the rule; returning null hides a layer.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { TargetingError, type ModuleInfo, type ModuleKind } from '@vblora/core';
import { denseVariables } from './dense-weights.js';

/** Maps a layer (and the names of the nested models around it, outermost first) to its PEFT module path, or null. */
export type ModulePathFn = (layer: tf.layers.Layer, parents: readonly string[]) => string | null;

/** PEFT kind of an adaptable layer: `linear` (torch nn.Linear, the default) or `conv1d` (GPT-2 Conv1D). */
export type KindFn = (path: string) => Exclude<ModuleKind, 'other'>;

/** The default {@link ModulePathFn}: nested model names and the layer name joined with `.`, `/` read as `.`. */
export function defaultModulePath(layer: tf.layers.Layer, parents: readonly string[]): string {
  return [...parents, layer.name].join('.').replaceAll('/', '.');
}

/** One layer of a tf.js model as PEFT sees it. */
export interface ModelModule {
  readonly path: string;
  readonly layer: tf.layers.Layer;
  /** `linear` / `conv1d` for Dense layers, `other` for everything else (PEFT cannot adapt it). */
  readonly kind: ModuleKind;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly hasBias: boolean;
}

/** How {@link modelModules} names and classifies layers. */
export interface ModuleMappingOptions {
  /** Layer → PEFT path (default {@link defaultModulePath}). */
  readonly pathOf?: ModulePathFn;
  /** PEFT kind of a Dense layer's path (default: every Dense layer is `linear`). */
  readonly kindOf?: KindFn;
}

function isModel(layer: tf.layers.Layer): layer is tf.LayersModel {
  return layer instanceof tf.LayersModel;
}

/**
 * Lists the layers of a tf.js model (nested models included) with their PEFT paths, in layer order — the
 * `named_modules()` order PEFT's targeting walks. Dense layers become `linear`/`conv1d` modules with their sizes.
 * @throws {TargetingError} when two layers map to the same path.
 */
export function modelModules(model: tf.LayersModel, options: ModuleMappingOptions = {}): ModelModule[] {
  const pathOf = options.pathOf ?? defaultModulePath;
  const kindOf = options.kindOf ?? (() => 'linear');
  const out: ModelModule[] = [];
  const seen = new Set<string>();
  const visit = (m: tf.LayersModel, parents: readonly string[]): void => {
    for (const layer of m.layers) {
      if (isModel(layer)) {
        visit(layer, [...parents, layer.name]);
        continue;
      }
      if (layer.getClassName() === 'InputLayer') continue;
      const path = pathOf(layer, parents);
      if (path === null) continue;
      if (seen.has(path))
        throw new TargetingError(
          `two layers map to the PEFT module path ${path}; give them distinct names or a pathOf function`,
        );
      seen.add(path);
      if (layer.getClassName() === 'Dense') {
        const { kernel, bias } = denseVariables(layer);
        out.push({
          path,
          layer,
          kind: kindOf(path),
          inFeatures: kernel.shape[0]!,
          outFeatures: kernel.shape[1]!,
          hasBias: bias !== null,
        });
      } else {
        out.push({ path, layer, kind: 'other', inFeatures: 0, outFeatures: 0, hasBias: false });
      }
    }
  };
  visit(model, []);
  return out;
}

/** The targeting input core's `resolveTargets` takes. */
export function moduleInfos(modules: readonly ModelModule[]): ModuleInfo[] {
  return modules.map((m) => ({
    name: m.path,
    kind: m.kind,
    inFeatures: m.inFeatures,
    outFeatures: m.outFeatures,
    hasBias: m.hasBias,
  }));
}
