/**
 * Reading and writing a Dense layer's weights in PEFT's layouts. A tf.js Dense kernel is stored (in, out): the
 * transpose of a torch `nn.Linear` weight (out, in), and exactly a GPT-2 `Conv1D` weight (in, out).
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { formatShape, ShapeError, tensor, toF32, type HostTensor, type ModuleKind } from '@vblora/core';

/** The kernel and (optional) bias variables of a Dense-like layer: its weights named `…/kernel` and `…/bias`. */
export function denseVariables(layer: tf.layers.Layer): { kernel: tf.LayerVariable; bias: tf.LayerVariable | null } {
  const kernel = layer.weights.find((w) => /(^|\/)kernel(_\d+)?$/.test(w.originalName));
  if (kernel === undefined || kernel.shape.length !== 2) {
    throw new ShapeError(
      `layer ${layer.name} has no 2-D kernel weight: only Dense-like layers can be adapted`,
      layer.name,
    );
  }
  const bias = layer.weights.find((w) => /(^|\/)bias(_\d+)?$/.test(w.originalName)) ?? null;
  return { kernel, bias };
}

/** (in, out) of a Dense-like layer. */
export function denseDims(layer: tf.layers.Layer): [number, number] {
  const { kernel } = denseVariables(layer);
  return [kernel.shape[0]!, kernel.shape[1]!];
}

/** The layer's weight as PEFT stores it: (out, in) for `linear`, (in, out) for `conv1d`; float32 values. */
export function readPeftWeight(layer: tf.layers.Layer, kind: ModuleKind): HostTensor<'f32'> {
  const { kernel } = denseVariables(layer);
  const t = tf.tidy(() => (kind === 'conv1d' ? kernel.read().clone() : kernel.read().transpose()));
  try {
    return tensor('f32', t.shape, t.dataSync() as Float32Array);
  } finally {
    t.dispose();
  }
}

/** The layer's bias as a host tensor, or null when it has none. */
export function readBias(layer: tf.layers.Layer): HostTensor<'f32'> | null {
  const { bias } = denseVariables(layer);
  return bias === null ? null : tensor('f32', bias.shape as number[], Float32Array.from(bias.read().dataSync()));
}

/** Writes a PEFT-layout weight (any float dtype, widened exactly) into the layer's kernel. */
export function writePeftWeight(layer: tf.layers.Layer, kind: ModuleKind, weight: HostTensor): void {
  const { kernel } = denseVariables(layer);
  const [inF, outF] = kernel.shape as [number, number];
  const want = kind === 'conv1d' ? [inF, outF] : [outF, inF];
  if (weight.shape.length !== 2 || weight.shape[0] !== want[0] || weight.shape[1] !== want[1]) {
    throw new ShapeError(
      `weight for ${layer.name} must have shape ${formatShape(want)} (${kind === 'conv1d' ? 'in, out' : 'out, in'}), got ${formatShape(weight.shape)}`,
      layer.name,
    );
  }
  const values = tf.tidy(() => {
    const w = tf.tensor2d(toF32(weight).data, want as [number, number]);
    return kind === 'conv1d' ? w : w.transpose();
  });
  kernel.write(values);
  values.dispose();
}

/** Writes a bias (any float dtype, widened exactly) into the layer's bias. */
export function writeBias(layer: tf.layers.Layer, bias: HostTensor): void {
  const { bias: v } = denseVariables(layer);
  if (v === null) throw new ShapeError(`layer ${layer.name} has no bias to write`, layer.name);
  if (bias.shape.length !== 1 || bias.shape[0] !== v.shape[0]) {
    throw new ShapeError(
      `bias for ${layer.name} must have shape ${formatShape(v.shape as number[])}, got ${formatShape(bias.shape)}`,
      layer.name,
    );
  }
  const values = tf.tensor1d(toF32(bias).data);
  v.write(values);
  values.dispose();
}
