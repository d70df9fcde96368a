/**
 * Kernels `linear`, `adapterForward` and `mixedBatchForward` on TensorFlow.js: float32 matmuls on tf, the result
 * rounded once to the input's dtype on the host.
 * @internal
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import {
  dropoutMask,
  formatShape,
  ShapeError,
  type AdapterForwardArgs,
  type HostTensor,
  type LinearArgs,
  type MixedBatchForwardArgs,
  type WeightDType,
} from '@vblora/core';
import { lowRankTerm } from '../ops/compose.js';
import { floatToTf, takeFloat } from './host-bridge.js';
import { lowRankDims, requireF32 } from './checks.js';

function requireFloat(t: HostTensor, arg: string, kernel: string): asserts t is HostTensor<WeightDType> {
  if (t.dtype !== 'f32' && t.dtype !== 'bf16' && t.dtype !== 'f16') {
    throw new ShapeError(`${kernel}: ${arg} must be f32, bf16 or f16, got ${t.dtype}`, arg);
  }
}

/** See core's `linear`. */
export async function linear<D extends WeightDType>(args: LinearArgs<D>): Promise<HostTensor<D>> {
  const { x, weight, bias, fanInFanOut = false } = args;
  const K = 'linear';
  requireFloat(x, 'x', K);
  requireFloat(weight, 'weight', K);
  const inF = x.shape[x.shape.length - 1];
  if (x.shape.length === 0) throw new ShapeError(`${K}: x must have shape (..., in), got ()`, 'x');
  if (weight.shape.length !== 2 || weight.shape[fanInFanOut ? 0 : 1] !== inF) {
    throw new ShapeError(
      `${K}: weight must have shape ${fanInFanOut ? `(in=${inF}, out)` : `(out, in=${inF})`} for x ` +
        `${formatShape(x.shape)}, got ${formatShape(weight.shape)}`,
      'weight',
    );
  }
  const outF = weight.shape[fanInFanOut ? 1 : 0]!;
  if (bias !== undefined) {
    requireFloat(bias, 'bias', K);
    if (bias.shape.length !== 1 || bias.shape[0] !== outF) {
      throw new ShapeError(`${K}: bias must have shape (${outF},), got ${formatShape(bias.shape)}`, 'bias');
    }
  }
  const y = tf.tidy(() => {
    const x2 = floatToTf(x, 'x', K).reshape([-1, inF!]);
    const w = floatToTf(weight, 'weight', K);
    let out = tf.matMul(x2, w, false, !fanInFanOut);
    if (bias !== undefined) out = tf.add(out, floatToTf(bias, 'bias', K));
    return out.reshape([...x.shape.slice(0, -1), outF]);
  });
  return takeFloat(y, x.dtype);
}

/** Checks x / baseOut against A, B; returns [in, out]. */
function adapterDims(x: HostTensor, baseOut: HostTensor, A: HostTensor, B: HostTensor, K: string): [number, number] {
  requireFloat(x, 'x', K);
  requireFloat(baseOut, 'baseOut', K);
  const [, inF, outF] = lowRankDims(A, B, K);
  if (x.shape.length === 0 || x.shape[x.shape.length - 1] !== inF) {
    throw new ShapeError(`${K}: x ${formatShape(x.shape)} must end in in = ${inF} (from A ${formatShape(A.shape)})`, 'x');
  }
  const want = [...x.shape.slice(0, -1), outF];
  if (baseOut.shape.length !== want.length || baseOut.shape.some((d, i) => d !== want[i])) {
    throw new ShapeError(`${K}: baseOut must have shape ${formatShape(want)}, got ${formatShape(baseOut.shape)}`, 'baseOut');
  }
  return [inF, outF];
}

/** See core's `adapterForward`; dropout draws core's `dropoutMask`, so results match the reference exactly in kind. */
export async function adapterForward<D extends WeightDType>(args: AdapterForwardArgs<D>): Promise<HostTensor<D>> {
  const { x, baseOut, A, B, dropout } = args;
  const K = 'adapterForward';
  adapterDims(x, baseOut, A, B, K);
  const mask = dropout === undefined ? undefined : dropoutMask(x.data.length, dropout.p, dropout.seed);
  const y = tf.tidy(() => {
    let xs = floatToTf(x, 'x', K);
    if (mask !== undefined && dropout !== undefined) {
      // torch's inverted dropout: kept elements times f32(1 / f32(1 − p))
      const scale = Math.fround(1 / Math.fround(1 - dropout.p));
      xs = tf.mul(tf.mul(xs, tf.tensor(mask, xs.shape, 'float32')), tf.scalar(scale));
    }
    const a = tf.tensor2d(A.data, [A.shape[0]!, A.shape[1]!]);
    const b = tf.tensor2d(B.data, [B.shape[0]!, B.shape[1]!]);
    return tf.add(floatToTf(baseOut, 'baseOut', K), lowRankTerm(xs, a, b));
  });
  return takeFloat(y, x.dtype);
}

/** See core's `mixedBatchForward`: rows are grouped by adapter, each group runs one pair of matmuls. */
export async function mixedBatchForward<D extends WeightDType>(args: MixedBatchForwardArgs<D>): Promise<HostTensor<D>> {
  const { x, baseOut, adapters, rowAdapter } = args;
  const K = 'mixedBatchForward';
  if (x.shape.length !== 2) throw new ShapeError(`${K}: x must have shape (n, in), got ${formatShape(x.shape)}`, 'x');
  const n = x.shape[0]!;
  if (baseOut.shape.length !== 2 || baseOut.shape[0] !== n) {
    throw new ShapeError(`${K}: baseOut must have shape (n=${n}, out), got ${formatShape(baseOut.shape)}`, 'baseOut');
  }
  if (rowAdapter.length !== n) {
    throw new ShapeError(`${K}: rowAdapter must have ${n} entries (one per row of x), got ${rowAdapter.length}`, 'rowAdapter');
  }
  adapters.forEach((a, j) => {
    try {
      adapterDims(x, baseOut, a.A, a.B, K);
    } catch (e) {
      if (e instanceof ShapeError) throw new ShapeError(`${e.message} (adapter ${j})`, `adapters[${j}]`, { cause: e });
      throw e;
    }
  });
  const groups = new Map<number, number[]>();
  for (let row = 0; row < n; row++) {
    const a = rowAdapter[row]!;
    if (a !== -1 && (a < 0 || a >= adapters.length || !Number.isInteger(a))) {
      throw new ShapeError(
        `${K}: rowAdapter[${row}] = ${a} is not an adapter number (expected −1 or 0..${adapters.length - 1})`,
        'rowAdapter',
      );
    }
    if (a === -1) continue;
    const rows = groups.get(a) ?? [];
    rows.push(row);
    groups.set(a, rows);
  }
  const y = tf.tidy(() => {
    const xs = floatToTf(x, 'x', K);
    const base = floatToTf(baseOut, 'baseOut', K);
    if (groups.size === 0) return base.clone();
    const ordered: number[] = [];
    const parts: tf.Tensor[] = [];
    for (const [a, rows] of groups) {
      const { A, B } = adapters[a]!;
      requireF32(A, 'A', K);
      const idx = tf.tensor1d(rows, 'int32');
      const term = lowRankTerm(tf.gather(xs, idx), tf.tensor2d(A.data, [A.shape[0]!, A.shape[1]!]), tf.tensor2d(B.data, [B.shape[0]!, B.shape[1]!]));
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
