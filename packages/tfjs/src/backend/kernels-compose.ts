/**
 * Kernels `composeLowRank` and `deltaWeight` on TensorFlow.js.
 * @internal
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import {
  formatShape,
  ShapeError,
  type ComposeLowRankArgs,
  type DeltaWeightArgs,
  type HostTensor,
  type LogitsSource,
  type LowRankPair,
} from '@vblora/core';
import { composeTf, type TfFactor } from '../ops/compose.js';
import { readIndices, takeFloat } from './host-bridge.js';
import { lowRankDims, require2d, requireF32, requireK, requireSameShape } from './checks.js';

const K = 'composeLowRank';

/** Checks one logits source and turns it into a tf factor (3-D logits, or indices + weights). */
function toFactor(src: LogitsSource, nv: number, k: number, arg: string, layout: string): TfFactor {
  const topk = 'indices' in src;
  const shape = topk ? src.indices.shape : src.shape;
  if (shape.length !== 3) throw new ShapeError(`${K}: ${arg} must have shape ${layout}, got ${formatShape(shape)}`, arg);
  const [d0, d1, d2] = shape as [number, number, number];
  if (topk) {
    if (d2 !== k) {
      throw new ShapeError(`${K}: ${arg} top-k form has k = ${d2} in ${formatShape(shape)}, but k = ${k} was given`, arg);
    }
    requireF32(src.weights, `${arg}.weights`, K);
    requireSameShape(src.weights, src.indices, `${arg}.weights`, `${arg}.indices`, K);
    const indices = readIndices(src.indices, nv, `${arg}.indices`, K);
    return { indices, weights: tf.tensor3d(src.weights.data, [d0, d1, d2]) };
  }
  requireF32(src, arg, K);
  if (d2 !== nv) throw new ShapeError(`${K}: ${arg} must have shape (..., nv=${nv}), got ${formatShape(shape)}`, arg);
  requireK(k, nv, K);
  return tf.tensor3d(src.data, [d0, d1, d2]);
}

/** See core's `composeLowRank`. */
export async function composeLowRank(args: ComposeLowRankArgs): Promise<LowRankPair> {
  const { logitsA, logitsB, bank, k } = args;
  requireF32(bank, 'bank', K);
  const [nv, vl] = require2d(bank, '(nv, vl)', 'bank', K);
  requireK(k, nv, K);
  const rA = ('indices' in logitsA ? logitsA.indices.shape : logitsA.shape)[0];
  const rB = ('indices' in logitsB ? logitsB.indices.shape : logitsB.shape)[1];
  const [A, B] = tf.tidy(() => {
    const a = toFactor(logitsA, nv, k, 'logitsA', '(r, in_t, nv)');
    const b = toFactor(logitsB, nv, k, 'logitsB', '(out_t, r, nv)');
    if (rA !== rB) throw new ShapeError(`${K}: logitsB must have r = ${rA} as its second dim (from logitsA), got ${rB}`, 'logitsB');
    const pair = composeTf(a, b, tf.tensor2d(bank.data, [nv, vl]), k);
    return [pair.A, pair.B];
  });
  return { A: await takeFloat(A!, 'f32'), B: await takeFloat(B!, 'f32') };
}

/** See core's `deltaWeight`. */
export async function deltaWeight(args: DeltaWeightArgs): Promise<HostTensor<'f32'>> {
  const { A, B, fanInFanOut = false } = args;
  const [r, inF, outF] = lowRankDims(A, B, 'deltaWeight');
  const d = tf.tidy(() => {
    const a = tf.tensor2d(A.data, [r, inF]);
    const b = tf.tensor2d(B.data, [outF, r]);
    return fanInFanOut ? tf.matMul(a, b, true, true) : tf.matMul(b, a);
  });
  return takeFloat(d, 'f32');
}
