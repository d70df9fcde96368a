/**
 * `VBLoRAModel`: a tf.js model with VB-LoRA adapters installed on its Dense layers — several adapters, set-active,
 * enable/disable, merge / unmerge / merge-and-unload, per-request adapter choice, and export to PEFT checkpoints.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import {
  AdapterError,
  toTopkAdapter,
  type ConvertedAdapter,
  type VBLoRAAdapter,
  type VBLoRAConfig,
  type WeightDType,
} from '@vblora/core';
import { checkAdapterFits, copyValues, extraTarget, extraTensorsOf, loadBias, savedPaths } from './adapter-extras.js';
import { assertTrainable, targetedConfig, variableGroups } from './adapter-setup.js';
import { AdaptedDense } from './adapted-dense.js';
import { AdapterWeights } from './adapter-weights.js';
import { requestOf, type ForwardState, type PredictOptions } from './forward-state.js';
import { applyDelta, keepCopy } from './merge-delta.js';
import { modelModules, type ModelModule, type ModuleMappingOptions } from './module-paths.js';
import { SavedModule } from './saved-module.js';
import type { TrainableModel, VariableGroups } from '../training/trainable.js';

/** How a model is wrapped. */
export interface VBLoRAModelOptions extends ModuleMappingOptions {
  /** Dtype of the base weights, emulated on float32 tf.js (rounding as torch does); default `f32`. */
  readonly dtype?: WeightDType;
  /** Seed of the dropout masks drawn while training (default 0). */
  readonly dropoutSeed?: number;
}

/** A tf.js model with VB-LoRA adapters on its Dense layers (see `applyVBLoRA` / `loadVBLoRA`). */
export class VBLoRAModel implements TrainableModel {
  /** The wrapped tf.js model (its Dense layers' calls are patched while wrapped). */
  readonly model: tf.LayersModel;
  /** Every layer with its PEFT path, in module order. */
  readonly modules: readonly ModelModule[];
  /** Emulated dtype of the base weights. */
  readonly dtype: WeightDType;
  /** PEFT's warnings from targeting and loading, each once. */
  readonly warnings: string[] = [];
  private readonly byPath: Map<string, ModelModule>;
  private readonly adapted = new Map<string, AdaptedDense>();
  private readonly saved = new Map<string, SavedModule>();
  private readonly state: ForwardState;
  private unloaded = false;

  constructor(model: tf.LayersModel, options: VBLoRAModelOptions = {}) {
    this.model = model;
    this.modules = modelModules(model, options);
    this.byPath = new Map(this.modules.map((m) => [m.path, m]));
    this.dtype = options.dtype ?? 'f32';
    let seed = options.dropoutSeed ?? 0;
    this.state = {
      adapters: new Map(),
      active: [],
      enabled: true,
      training: false,
      request: null,
      lowRank: null,
      nextSeed: () => seed++,
    };
  }

  /** Names of the loaded adapters. */
  get adapterNames(): string[] {
    return [...this.state.adapters.keys()];
  }

  /** Names of the active adapters (summed in this order). */
  get activeAdapters(): readonly string[] {
    return this.state.active;
  }

  /** Whether adapters are applied at all (see {@link disableAdapters}). */
  get adaptersEnabled(): boolean {
    return this.state.enabled;
  }

  /** Whether the model is in training mode (dropout on, A/B composed fresh every step). */
  get training(): boolean {
    return this.state.training;
  }

  /** The weights of a loaded adapter. */
  adapter(name: string): AdapterWeights {
    this.live();
    const w = this.state.adapters.get(name);
    if (w === undefined)
      throw new AdapterError(`no adapter named "${name}"; loaded: ${this.adapterNames.join(', ') || '(none)'}`);
    return w;
  }

  /**
   * Adds a freshly initialised adapter: PEFT's targeting rules pick the modules, PEFT's init fills bank and logits.
   * The new adapter becomes active when it is the first one.
   */
  addAdapter(name: string, config: Partial<VBLoRAConfig>, options: { seed?: number } = {}): AdapterWeights {
    this.live();
    if (this.state.adapters.has(name)) throw new AdapterError(`adapter "${name}" already exists`);
    const found = targetedConfig(this.modules, config);
    for (const w of found.warnings) this.warn(w);
    const full = found.config;
    this.requireOneBiasAdapter(full, name);
    const weights = AdapterWeights.init(name, full, found.targets, options.seed ?? 0);
    this.install(weights, found.modulesToSave);
    for (const path of found.modulesToSave) this.saved.get(path)!.addCopy(name);
    return weights;
  }

  /**
   * Loads an adapter read by core (`readAdapterDir`, `adapterFromFiles`): logits (or top-k form), bank, trained
   * biases (written into the layers, as PEFT does) and modules_to_save copies. Active when it is the first one.
   */
  loadAdapter(adapter: VBLoRAAdapter, name = adapter.name): AdapterWeights {
    this.live();
    if (this.state.adapters.has(name)) throw new AdapterError(`adapter "${name}" already exists`);
    checkAdapterFits(adapter, this.byPath, name);
    this.requireOneBiasAdapter(adapter.config, name);
    const toSave = savedPaths(adapter.config, this.modules);
    const targets = [...adapter.extraTensors.keys()].map((key) => ({
      key,
      target: extraTarget(key, this.byPath, toSave),
    }));
    const weights = AdapterWeights.fromAdapter(adapter, name);
    this.install(weights, [...toSave]);
    for (const path of toSave) this.saved.get(path)!.addCopy(name, copyValues(this.byPath.get(path)!, adapter, path));
    for (const { key, target } of targets) if (!target.savedCopy) loadBias(target, adapter.extraTensors.get(key)!);
    return weights;
  }

  /** Activates one adapter or several (their terms are summed in the given order). */
  setActiveAdapter(names: string | readonly string[]): void {
    const list = typeof names === 'string' ? [names] : [...names];
    for (const n of list) this.adapter(n);
    this.state.active = list;
  }

  /** Removes an adapter and frees its weights (refused while it is merged, as in PEFT). */
  deleteAdapter(name: string): void {
    const w = this.adapter(name);
    if ([...this.adapted.values()].some((a) => a.merged.includes(name)))
      throw new AdapterError(`adapter "${name}" is merged; unmerge it first`);
    for (const s of this.saved.values()) s.removeCopy(name);
    w.dispose();
    this.state.adapters.delete(name);
    this.state.active = this.state.active.filter((n) => n !== name);
  }

  /**
   * Runs the base model only (trained biases stay, as in PEFT). Refused while adapters are merged: PEFT would
   * silently and permanently unmerge them; call {@link unmerge} first.
   */
  disableAdapters(): void {
    this.live();
    if (this.isMerged) throw new AdapterError('adapters are merged into the weights; unmerge() before disabling them');
    this.state.enabled = false;
  }

  /** Applies the active adapters again. */
  enableAdapters(): void {
    this.state.enabled = true;
  }

  /** Training mode: dropout active, A and B recomposed (differentiably) at every forward. */
  train(): void {
    this.state.training = true;
  }

  /** Inference mode: no dropout, A and B cached per adapter and module. */
  eval(): void {
    this.state.training = false;
  }

  /** True when any adapter is merged into a layer's kernel. */
  get isMerged(): boolean {
    return [...this.adapted.values()].some((a) => a.merged.length > 0);
  }

  /** Runs the model on `x` (eagerly, no batching) with the active adapters or a per-request choice. */
  predict(x: tf.Tensor, options: PredictOptions = {}): tf.Tensor {
    this.live();
    const request = requestOf(options);
    if (request !== null) {
      for (const n of request.adapters ?? request.rows ?? []) if (n !== null) this.adapter(n);
      if (request.rows !== undefined && request.rows.length !== x.shape[0]) {
        throw new AdapterError(`rowAdapters has ${request.rows.length} entries but the batch has ${x.shape[0]} rows`);
      }
    }
    const previous = this.state.request;
    this.state.request = request;
    try {
      return tf.tidy(() => this.model.apply(x) as tf.Tensor);
    } finally {
      this.state.request = previous;
    }
  }

  /** The trainable variables of the active adapters: logits, banks, and (per `bias` / modules_to_save) the rest. */
  trainableVariables(): VariableGroups {
    return variableGroups(
      this.state.active.map((n) => this.adapter(n)),
      this.modules,
      this.saved,
    );
  }

  /**
   * Throws PEFT's error when an active adapter cannot be trained: one read from a top-k checkpoint, or logits
   * holding ±inf (rebuilt from one, SPEC §4.2).
   */
  assertTrainable(): void {
    for (const name of this.state.active) assertTrainable(this.adapter(name));
  }

  /**
   * Runs `fn` with the given A and B (keyed `adapter/path`) in place of the composed ones, e.g. to take
   * gradients with respect to A and B themselves.
   * @internal
   */
  withLowRank<T>(pairs: ReadonlyMap<string, { readonly A: tf.Tensor2D; readonly B: tf.Tensor2D }>, fn: () => T): T {
    const previous = this.state.lowRank;
    this.state.lowRank = pairs;
    try {
      return fn();
    } finally {
      this.state.lowRank = previous;
    }
  }

  /** Drops cached A/B of the active adapters (the trainer calls it after every step). */
  invalidate(): void {
    for (const name of this.state.active) this.adapter(name).invalidate();
  }

  /**
   * Merges adapters into the Dense kernels (default: the active ones): W ← round_dtype(W + ΔW) with the tfjs
   * merge kernel. `safe` fails with PEFT's message on a non-finite result, leaving that layer unchanged.
   */
  async merge(options: { adapters?: readonly string[]; safe?: boolean } = {}): Promise<void> {
    const names = options.adapters ?? this.state.active;
    for (const n of names) this.adapter(n);
    for (const a of this.adapted.values()) {
      for (const name of names) {
        const w = this.state.adapters.get(name)!;
        if (!w.modules.has(a.module.path)) continue;
        if (a.merged.includes(name)) {
          this.warn(`Already merged with ${name}. Skipping.`);
          continue;
        }
        await applyDelta(a, w, 'merge', options.safe ?? false, this.dtype);
        a.merged.push(name);
      }
    }
  }

  /** Subtracts every merged adapter again, in reverse merge order (not bit-exact, as in PEFT). */
  async unmerge(): Promise<void> {
    this.live();
    if (!this.isMerged) this.warn('Already unmerged. Nothing to do.');
    for (const a of this.adapted.values()) {
      while (a.merged.length > 0) {
        const name = a.merged[a.merged.length - 1]!;
        await applyDelta(a, this.state.adapters.get(name)!, 'unmerge', false, this.dtype);
        a.merged.pop();
      }
    }
  }

  /**
   * PEFT's `merge_and_unload`: merges the active adapters, keeps their modules_to_save copies in the layers,
   * removes every VB-LoRA branch and returns the plain tf.js model. This object is unusable afterwards.
   */
  async mergeAndUnload(options: { safe?: boolean } = {}): Promise<tf.LayersModel> {
    await this.merge(options);
    for (const s of this.saved.values()) keepCopy(s, this.state.active);
    return this.unload();
  }

  /** Removes every VB-LoRA branch without merging and returns the plain tf.js model; frees all adapter weights. */
  unload(): tf.LayersModel {
    this.live();
    for (const a of this.adapted.values()) a.uninstall();
    for (const s of this.saved.values()) s.uninstall();
    for (const w of this.state.adapters.values()) w.dispose();
    this.adapted.clear();
    this.saved.clear();
    this.state.adapters.clear();
    this.unloaded = true;
    return this.model;
  }

  /**
   * The adapter as core's `VBLoRAAdapter` with its trained biases and modules_to_save copies, in the flavour
   * asked for: `full` (logits, PEFT's default) or `topk` (`save_only_topk_weights`, via core's `toTopkAdapter`,
   * which never writes a row PEFT would reload as NaN). Write it with `adapterToFiles` or `writeAdapterDir`.
   */
  exportAdapter(
    name = this.state.active[0] ?? 'default',
    options: { flavour?: 'full' | 'topk' } = {},
  ): ConvertedAdapter {
    const w = this.adapter(name);
    const extras = extraTensorsOf(w.config, name, new Set(w.modules.keys()), this.modules, this.saved, this.dtype);
    const adapter = w.toAdapter(extras);
    return options.flavour === 'topk' ? toTopkAdapter(adapter) : { adapter, repairs: [] };
  }

  /** Removes the branches and frees every adapter (the base model itself stays usable). */
  dispose(): void {
    if (!this.unloaded) this.unload();
  }

  private install(weights: AdapterWeights, modulesToSave: readonly string[]): void {
    for (const path of weights.modules.keys()) {
      if (!this.adapted.has(path))
        this.adapted.set(path, new AdaptedDense(this.byPath.get(path)!, this.dtype, this.state));
    }
    for (const path of modulesToSave) {
      if (!this.saved.has(path)) this.saved.set(path, new SavedModule(this.byPath.get(path)!, this.dtype, this.state));
    }
    this.state.adapters.set(weights.name, weights);
    if (this.state.active.length === 0) this.state.active = [weights.name];
  }

  private requireOneBiasAdapter(config: VBLoRAConfig, name: string): void {
    if (config.bias === 'none') return;
    const other = [...this.state.adapters.values()].find((w) => w.config.bias !== 'none');
    if (other !== undefined) {
      throw new AdapterError(
        `adapter "${name}" has bias="${config.bias}" but "${other.name}" already trains biases; only one adapter may (PEFT's rule)`,
      );
    }
  }

  private warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  private live(): void {
    if (this.unloaded) throw new AdapterError('this VB-LoRA model was unloaded; use the returned tf.js model');
  }
}
