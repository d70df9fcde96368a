/**
 * `AdapterWeights`: one VB-LoRA adapter on tf.js — its vector bank and, per adapted module, the logits of A and B
 * as trainable variables (or, for an adapter read from a top-k checkpoint, constant indices and weights). Composes
 * A and B on demand (fresh and differentiable while training, cached for inference).
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import {
  AdapterError,
  createRng,
  reloadTopkWeights,
  tensor,
  toF32,
  type AdapterModule,
  type Factor,
  type HostTensor,
  type TargetedModule,
  type VBLoRAAdapter,
  type VBLoRAConfig,
} from '@vblora/core';
import { composeTf, type TfFactor } from '../ops/compose.js';

/** A trainable variable holding `values` (the temporary tensor is freed). */
function variableOf(values: Float32Array, shape: [number, number]): tf.Variable<tf.Rank.R2>;
function variableOf(values: Float32Array, shape: [number, number, number]): tf.Variable<tf.Rank.R3>;
function variableOf(values: Float32Array, shape: number[]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32')));
}

/** One factor on tf: trainable logits, or a top-k form kept exactly as read (inference only). */
export type TfAdapterFactor =
  | { readonly kind: 'logits'; readonly logits: tf.Variable<tf.Rank.R3> }
  | { readonly kind: 'topk'; readonly indices: Int32Array; readonly weights: tf.Tensor3D; readonly stored: Factor };

/** One adapted module of an adapter. */
export interface TfAdapterModule {
  readonly path: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly a: TfAdapterFactor;
  readonly b: TfAdapterFactor;
}

/** Weights of one adapter. */
export class AdapterWeights {
  /** Adapter name (`default`, …). */
  readonly name: string;
  /** Its config, as PEFT would save it. */
  readonly config: VBLoRAConfig;
  /** (nv, vl) vector bank. */
  readonly bank: tf.Variable<tf.Rank.R2>;
  /** Adapted modules by PEFT path, in injection order. */
  readonly modules: ReadonlyMap<string, TfAdapterModule>;
  /** Safetensors metadata to write back (PEFT writes `{ format: 'pt' }`). */
  readonly metadata: Readonly<Record<string, string>> | null;
  private readonly cache = new Map<string, { A: tf.Tensor2D; B: tf.Tensor2D }>();

  private constructor(
    name: string,
    config: VBLoRAConfig,
    bank: tf.Variable<tf.Rank.R2>,
    modules: Map<string, TfAdapterModule>,
    metadata: Readonly<Record<string, string>> | null,
  ) {
    this.name = name;
    this.config = config;
    this.bank = bank;
    this.modules = modules;
    this.metadata = metadata;
  }

  /**
   * A fresh adapter initialised as PEFT does (SPEC §3.3), from a seeded stream: bank U(−b, b) with
   * b = `init_vector_bank_bound`, every logits tensor N(0, `init_logits_std`²), A then B per module.
   */
  static init(name: string, config: VBLoRAConfig, targets: readonly TargetedModule[], seed: number): AdapterWeights {
    const rng = createRng(seed);
    const { num_vectors: nv, vector_length: vl, r } = config;
    const b = config.init_vector_bank_bound;
    const std = config.init_logits_std;
    const bank = variableOf(
      Float32Array.from({ length: nv * vl }, () => b * (2 * rng.uniform() - 1)),
      [nv, vl],
    );
    const normal = (shape: [number, number, number]): TfAdapterFactor => ({
      kind: 'logits',
      logits: variableOf(
        Float32Array.from({ length: shape[0] * shape[1] * shape[2] }, () => std * rng.normal()),
        shape,
      ),
    });
    const modules = new Map<string, TfAdapterModule>();
    for (const t of targets) {
      const a = normal([r, t.inFeatures / vl, nv]);
      modules.set(t.name, {
        path: t.name,
        inFeatures: t.inFeatures,
        outFeatures: t.outFeatures,
        a,
        b: normal([t.outFeatures / vl, r, nv]),
      });
    }
    return new AdapterWeights(name, config, bank, modules, null);
  }

  /**
   * An adapter read with core (`readAdapterDir`, `adapterFromFiles`): full logits become trainable variables; a
   * top-k checkpoint keeps its indices and the weights PEFT would use (inference and merging only, like PEFT).
   */
  static fromAdapter(adapter: VBLoRAAdapter, name = adapter.name): AdapterWeights {
    const k = adapter.config.topk;
    const bankHost = toF32(adapter.bank);
    const bank = variableOf(bankHost.data, bankHost.shape as [number, number]);
    const factor = (f: Factor): TfAdapterFactor => {
      if (f.kind === 'logits') {
        const l = toF32(f.logits);
        return { kind: 'logits', logits: variableOf(l.data, l.shape as [number, number, number]) };
      }
      const { indices, weights } = reloadTopkWeights(f.indices, toF32(f.weights), k);
      return {
        kind: 'topk',
        indices: indices.data,
        weights: tf.tensor3d(weights.data, weights.shape as [number, number, number]),
        stored: f,
      };
    };
    const modules = new Map<string, TfAdapterModule>();
    for (const m of adapter.modules.values()) {
      modules.set(m.path, {
        path: m.path,
        inFeatures: m.inFeatures,
        outFeatures: m.outFeatures,
        a: factor(m.a),
        b: factor(m.b),
      });
    }
    return new AdapterWeights(name, adapter.config, bank, modules, adapter.metadata);
  }

  /** True when every factor holds trainable logits (false after loading a top-k checkpoint). */
  get hasLogits(): boolean {
    return [...this.modules.values()].every((m) => m.a.kind === 'logits' && m.b.kind === 'logits');
  }

  /** The trainable logits variables, A then B per module, in module order. */
  logitsVariables(): tf.Variable[] {
    const out: tf.Variable[] = [];
    for (const m of this.modules.values()) {
      for (const f of [m.a, m.b]) if (f.kind === 'logits') out.push(f.logits);
    }
    return out;
  }

  /** A (r, in) and B (out, r) of a module, computed now (differentiable in logits and bank). */
  compose(path: string): { A: tf.Tensor2D; B: tf.Tensor2D } {
    const m = this.module(path);
    const asTf = (f: TfAdapterFactor): TfFactor =>
      f.kind === 'logits' ? f.logits : { indices: f.indices, weights: f.weights };
    return composeTf(asTf(m.a), asTf(m.b), this.bank, this.config.topk);
  }

  /** A and B of a module from the inference cache (composed on first use, kept until {@link invalidate}). */
  composed(path: string): { A: tf.Tensor2D; B: tf.Tensor2D } {
    let hit = this.cache.get(path);
    if (hit === undefined) {
      const pair = tf.tidy(() => this.compose(path));
      hit = { A: tf.keep(pair.A), B: tf.keep(pair.B) };
      this.cache.set(path, hit);
    }
    return hit;
  }

  /** Drops cached A/B, e.g. after an optimizer step changed the logits or the bank. */
  invalidate(): void {
    for (const { A, B } of this.cache.values()) {
      A.dispose();
      B.dispose();
    }
    this.cache.clear();
  }

  /** The module entry of a path. */
  module(path: string): TfAdapterModule {
    const m = this.modules.get(path);
    if (m === undefined) throw new AdapterError(`adapter "${this.name}" has no module ${path}`, path);
    return m;
  }

  /**
   * The adapter as core's `VBLoRAAdapter` (current variable values; top-k factors exactly as read), ready for
   * `adapterToFiles`, `toTopkAdapter` or `writeAdapterDir`. `extraTensors` are the trained biases and
   * modules_to_save copies under their checkpoint keys.
   */
  toAdapter(extraTensors: ReadonlyMap<string, HostTensor> = new Map()): VBLoRAAdapter {
    const host = (v: tf.Tensor) => tensor('f32', v.shape, Float32Array.from(v.dataSync()));
    const factor = (f: TfAdapterFactor): Factor =>
      f.kind === 'logits' ? { kind: 'logits', logits: host(f.logits) } : f.stored;
    const modules = new Map<string, AdapterModule>();
    for (const m of this.modules.values()) {
      modules.set(m.path, {
        path: m.path,
        inFeatures: m.inFeatures,
        outFeatures: m.outFeatures,
        a: factor(m.a),
        b: factor(m.b),
      });
    }
    return {
      name: this.name,
      config: this.config,
      bank: host(this.bank),
      modules,
      extraTensors,
      metadata: this.metadata,
    };
  }

  /** Frees every tensor of the adapter. */
  dispose(): void {
    this.invalidate();
    this.bank.dispose();
    for (const m of this.modules.values()) {
      for (const f of [m.a, m.b]) {
        if (f.kind === 'logits') f.logits.dispose();
        else f.weights.dispose();
      }
    }
  }
}
