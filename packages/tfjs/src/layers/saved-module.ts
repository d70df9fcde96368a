/**
 * `SavedModule`: PEFT's `modules_to_save` on a tf.js Dense layer (SPEC §2.3) — each adapter trains its own copy
 * of the layer's kernel and bias; the copy is used while that adapter is active and enabled, the original
 * otherwise.
 * @internal
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { WeightDType } from '@vblora/core';
import { roundTo } from '../ops/round-dtype.js';
import { patchCall, requireLinearActivation, unpatchCall } from './adapted-dense.js';
import { denseVariables } from './dense-weights.js';
import { batchAdapters, rowAdapters, rowMask, type ForwardState } from './forward-state.js';
import type { ModelModule } from './module-paths.js';

/** An adapter's copy of a layer: kernel (in, out) and bias. */
export interface LayerCopy {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable | null;
}

/** The modules_to_save wrapper of one Dense layer. */
export class SavedModule {
  /** Copies by adapter name. */
  readonly copies = new Map<string, LayerCopy>();
  private readonly original: (
    inputs: tf.Tensor | tf.Tensor[],
    kwargs: Record<string, unknown>,
  ) => tf.Tensor | tf.Tensor[];

  constructor(
    readonly module: ModelModule,
    readonly dtype: WeightDType,
    private readonly state: ForwardState,
  ) {
    requireLinearActivation(module);
    this.original = patchCall(module.layer, (inputs, kwargs) => this.forward(inputs, kwargs));
  }

  /** Adds a copy for `adapter` from the layer's current weights, or from `values` (which it then disposes). */
  addCopy(adapter: string, values?: { kernel: tf.Tensor; bias: tf.Tensor | null }): LayerCopy {
    const { kernel, bias } = denseVariables(this.module.layer);
    const variable = (t: tf.Tensor): tf.Variable => tf.tidy(() => tf.variable(t.clone()));
    const copy: LayerCopy = {
      kernel: variable(values?.kernel ?? kernel.read()),
      bias: bias === null ? null : variable(values?.bias ?? bias.read()),
    };
    if (values !== undefined) tf.dispose([values.kernel, ...(values.bias === null ? [] : [values.bias])]);
    this.removeCopy(adapter);
    this.copies.set(adapter, copy);
    return copy;
  }

  /** Drops an adapter's copy. */
  removeCopy(adapter: string): void {
    const old = this.copies.get(adapter);
    old?.kernel.dispose();
    old?.bias?.dispose();
    this.copies.delete(adapter);
  }

  /** Restores the layer's own call and frees the copies. */
  uninstall(): void {
    unpatchCall(this.module.layer);
    for (const name of [...this.copies.keys()]) this.removeCopy(name);
  }

  private forward(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const rows = this.state.request?.rows;
    const batch = batchAdapters(this.state);
    // PEFT's wrapper uses the copy of the (first) active adapter that has one
    const chosen = batch?.find((n) => this.copies.has(n));
    if (batch !== null) return chosen === undefined ? this.original(inputs, kwargs) : this.withCopy(inputs, chosen);
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      let y = tf.mul(this.original(inputs, kwargs) as tf.Tensor, rowMask(rows!, null, x.rank));
      const named = rowAdapters(rows!);
      for (const name of named) {
        const out = this.copies.has(name) ? this.withCopy(inputs, name) : (this.original(inputs, kwargs) as tf.Tensor);
        y = tf.add(y, tf.mul(out, rowMask(rows!, name, x.rank)));
      }
      return y;
    });
  }

  /** The Dense computation with an adapter's copy: x·kernel + bias, rounded to the emulated dtype. */
  private withCopy(inputs: tf.Tensor | tf.Tensor[], name: string): tf.Tensor {
    const copy = this.copies.get(name)!;
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const [inF, outF] = copy.kernel.shape as [number, number];
      let y = tf.matMul(x.reshape([-1, inF]), copy.kernel as tf.Tensor2D);
      if (copy.bias !== null) y = tf.add(y, copy.bias);
      return roundTo(y.reshape([...x.shape.slice(0, -1), outF]), this.dtype);
    });
  }
}
