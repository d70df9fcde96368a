/**
 * Kernels `linear`, `adapterForward` and `mixedBatchForward` on TensorFlow.js: float32 matmuls on tf, the result
 * rounded once to the input's dtype on the host.
 * @internal
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import {
  checkAdapterForwardArgs,
  checkLinearArgs,
  checkMixedBatchForwardArgs,
  dropoutMask,
  type AdapterForwardArgs,
  type HostTensor,
  type LinearArgs,
  type MixedBatchForwardArgs,
  type WeightDType,
} from '@vblora/core';
import { lowRankTerm } from '../ops/compose.js';
import { floatToTf, takeFloat } from './host-bridge.js';

/** See core's `linear`. */
export async function linear<D extends WeightDType>(args: LinearArgs<D>): Promise<HostTensor<D>> {
  const { x, weight, bias, fanInFanOut = false } = args;
  const { inF, outF } = checkLinearArgs(args);
  const y = tf.tidy(() => {
    const x2 = floatToTf(x).reshape([-1, inF]);
    const w = floatToTf(weight);
    let out = tf.matMul(x2, w, false, !fanInFanOut);
    if (bias !== undefined) out = tf.add(out, floatToTf(bias));
    return out.reshape([...x.shape.slice(0, -1), outF]);
  });
  return takeFloat(y, x.dtype);
}

/** See core's `adapterForward`; dropout draws core's `dropoutMask`, so results match the reference exactly in kind. */
export async function adapterForward<D extends WeightDType>(args: AdapterForwardArgs<D>): Promise<HostTensor<D>> {
  const { x, baseOut, A, B, dropout } = args;
  checkAdapterForwardArgs(args);
  const mask = dropout === undefined ? undefined : dropoutMask(x.data.length, dropout.p, dropout.seed);
  const y = tf.tidy(() => {
    let xs = floatToTf(x);
    if (mask !== undefined && dropout !== undefined) {
      // torch's inverted dropout: kept elements times f32(1 / f32(1 − p))
      const scale = Math.fround(1 / Math.fround(1 - dropout.p));
      xs = tf.mul(tf.mul(xs, tf.tensor(mask, xs.shape, 'float32')), tf.scalar(scale));
    }
    const a = tf.tensor2d(A.data, [A.shape[0]!, A.shape[1]!]);
    const b = tf.tensor2d(B.data, [B.shape[0]!, B.shape[1]!]);
    return tf.add(floatToTf(baseOut), lowRankTerm(xs, a, b));
  });
  return takeFloat(y, x.dtype);
}

/** See core's `mixedBatchForward`: rows are grouped by adapter, each group runs one pair of matmuls. */
export async function mixedBatchForward<D extends WeightDType>(args: MixedBatchForwardArgs<D>): Promise<HostTensor<D>> {
  const { x, baseOut, adapters, rowAdapter } = args;
  const { n } = checkMixedBatchForwardArgs(args);
  const groups = new Map<number, number[]>();
  for (let row = 0; row < n; row++) {
    const a = rowAdapter[row]!;
    if (a === -1) continue;
    const rows = groups.get(a) ?? [];
    rows.push(row);
    groups.set(a, rows);
  }
  const y = tf.tidy(() => {
    const xs = floatToTf(x);
    const base = floatToTf(baseOut);
    if (groups.size === 0) return base.clone();
    const ordered: number[] = [];
    const parts: tf.Tensor[] = [];
    for (const [a, rows] of groups) {
      const { A, B } = adapters[a]!;
      const idx = tf.tensor1d(rows, 'int32');
      const term = lowRankTerm(
        tf.gather(xs, idx),
        tf.tensor2d(A.data, [A.shape[0]!, A.shape[1]!]),
        tf.tensor2d(B.data, [B.shape[0]!, B.shape[1]!]),
      );
      parts.push(tf.add(tf.gather(base, idx), term));
      ordered.push(...rows);
    }
    // rows without an adapter keep the base output bit for bit
    const untouched = [...Array(n).keys()].filter((row) => rowAdapter[row] === -1);
    if (untouched.length > 0) {
      parts.push(tf.gather(base, tf.tensor1d(untouched, 'int32')));
      ordered.push(...untouched);
    }
    const inverse = new Int32Array(n);
    ordered.forEach((row, i) => (inverse[row] = i));
    return tf.gather(tf.concat(parts, 0), tf.tensor1d(inverse, 'int32'));
  });
  return takeFloat(y, x.dtype);
}
