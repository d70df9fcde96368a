/**
 * `AdaptedDense`: the VB-LoRA branch installed on a tf.js Dense layer. The layer keeps its own weights and call;
 * the installed call adds, for every adapter that applies, `(drop(x)·Aᵀ)·Bᵀ` to the base output (SPEC §4.3).
 * For an emulated half-precision model the base output is rounded first and the sum rounded again, as torch does
 * (`y = bf16(f32(base_bf16(x)) + term)`).
 * @internal
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { dropoutMask, topkResumeError, UnsupportedError, type WeightDType } from '@vblora/core';
import { lowRankTerm } from '../ops/compose.js';
import { roundTo } from '../ops/round-dtype.js';
import { batchAdapters, rowAdapters, rowMask, type ForwardState } from './forward-state.js';
import type { ModelModule } from './module-paths.js';

type Call = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

/** Replaces a layer's `call` with `call` (an own property shadowing the class method) and returns the original. */
export function patchCall(layer: tf.layers.Layer, call: Call): Call {
  const original = layer.call.bind(layer) as Call;
  (layer as unknown as { call: Call }).call = call;
  return original;
}

/** Removes a patched `call`, restoring the class method. */
export function unpatchCall(layer: tf.layers.Layer): void {
  delete (layer as unknown as { call?: Call }).call;
}

/** Throws unless the Dense layer has a linear activation (VB-LoRA adds to the pre-activation output). */
export function requireLinearActivation(m: ModelModule): void {
  const activation = (m.layer.getConfig() as { activation?: unknown }).activation;
  if (activation !== undefined && activation !== 'linear') {
    throw new UnsupportedError(
      `layer ${m.path} has activation ${String(activation)}; VB-LoRA adds its term before any activation, so ` +
        'give the Dense layer a linear activation and apply the activation in a separate layer',
    );
  }
}

/** The VB-LoRA branch of one Dense layer. */
export class AdaptedDense {
  /** Adapters merged into the kernel, in merge order. */
  readonly merged: string[] = [];
  private readonly original: Call;

  constructor(
    readonly module: ModelModule,
    readonly dtype: WeightDType,
    private readonly state: ForwardState,
  ) {
    requireLinearActivation(module);
    this.original = patchCall(module.layer, (inputs, kwargs) => this.forward(inputs, kwargs));
  }

  /** Restores the layer's own call. */
  uninstall(): void {
    unpatchCall(this.module.layer);
  }

  private forward(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const base = this.original(inputs, kwargs);
    if (this.merged.length > 0 || Array.isArray(base)) return base; // merged: the kernel already holds ΔW
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const rows = this.state.request?.rows;
    const names = (batchAdapters(this.state) ?? rowAdapters(rows ?? [])).filter((n) =>
      this.state.adapters.get(n)?.modules.has(this.module.path),
    );
    if (names.length === 0) return base;
    return tf.tidy(() => {
      let y = roundTo(base, this.dtype);
      for (const name of names) {
        let term = this.term(name, x);
        if (rows !== undefined) term = tf.mul(term, rowMask(rows, name, x.rank));
        y = tf.add(y, term);
      }
      return roundTo(y, this.dtype);
    });
  }

  /** (drop(x)·Aᵀ)·Bᵀ of one adapter. */
  private term(name: string, x: tf.Tensor): tf.Tensor {
    const w = this.state.adapters.get(name)!;
    const given = this.state.lowRank?.get(`${name}/${this.module.path}`);
    if (given !== undefined) return lowRankTerm(x, given.A, given.B);
    if (!this.state.training) {
      const { A, B } = w.composed(this.module.path);
      return lowRankTerm(x, A, B);
    }
    const m = w.module(this.module.path);
    if (m.a.kind !== 'logits' || m.b.kind !== 'logits') throw topkResumeError({ module: this.module.path });
    if (
      m.a.logits
        .slice([0, 0, 0], [1, 1, -1])
        .dataSync()
        .some((v) => v === Infinity || v === -Infinity)
    ) {
      throw topkResumeError({ module: this.module.path });
    }
    const { A, B } = w.compose(this.module.path);
    const p = w.config.vblora_dropout;
    let xin = x;
    if (p > 0) {
      const mask = dropoutMask(x.size, p, this.state.nextSeed());
      // torch's inverted dropout: kept elements times f32(1 / f32(1 − p))
      xin = tf.mul(tf.mul(x, tf.tensor(mask, x.shape, 'float32')), tf.scalar(Math.fround(1 / Math.fround(1 - p))));
    }
    return lowRankTerm(xin, A, B);
  }
}
