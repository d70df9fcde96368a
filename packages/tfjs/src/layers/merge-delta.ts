/**
 * Merging on tf.js layers: W ← round_dtype(W ± ΔW) through the tfjs `merge`/`unmerge` kernels (the conformance-
 * checked arithmetic), and keeping a modules_to_save copy in its layer for merge-and-unload.
 * @internal
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { fromF32, tensor, toF32, type WeightDType } from '@vblora/core';
import { merge, unmerge } from '../backend/kernels-merge.js';
import type { AdaptedDense } from './adapted-dense.js';
import type { AdapterWeights } from './adapter-weights.js';
import { denseVariables } from './dense-weights.js';
import type { SavedModule } from './saved-module.js';

const host = (t: tf.Tensor) => tensor('f32', t.shape, Float32Array.from(t.dataSync()));

/** Adds (merge) or subtracts (unmerge) one adapter's ΔW in a layer's kernel, rounded to the emulated dtype. */
export async function applyDelta(
  a: AdaptedDense,
  w: AdapterWeights,
  op: 'merge' | 'unmerge',
  safe: boolean,
  dtype: WeightDType,
): Promise<void> {
  const { kernel } = denseVariables(a.module.layer);
  const { A, B } = w.composed(a.module.path);
  // a tf.js kernel is (in, out): the fan_in_fan_out layout, whatever PEFT's layer type
  const args = {
    weight: fromF32(host(kernel.read()), dtype),
    A: host(A),
    B: host(B),
    fanInFanOut: true,
    safe,
    adapter: w.name,
    module: a.module.path,
  };
  const out = op === 'merge' ? await merge(args) : await unmerge(args);
  const values = tf.tensor2d(toF32(out).data, kernel.shape as [number, number]);
  kernel.write(values);
  values.dispose();
}

/** Writes the copy of the first of `adapters` that has one into the layer itself (PEFT keeps the copy). */
export function keepCopy(saved: SavedModule, adapters: readonly string[]): void {
  const name = adapters.find((n) => saved.copies.has(n));
  if (name === undefined) return;
  const copy = saved.copies.get(name)!;
  const { kernel, bias } = denseVariables(saved.module.layer);
  const pairs: [tf.LayerVariable | null, tf.Variable | null][] = [
    [kernel, copy.kernel],
    [bias, copy.bias],
  ];
  for (const [target, source] of pairs) {
    if (target === null || source === null) continue;
    const v = source.clone();
    target.write(v);
    v.dispose();
  }
}
