/**
 * Kernel `mixedBatchForward`: one batch, a different adapter per row (or none), e.g. several users' adapters
 * served together. Each row is computed exactly like `adapterForward` with that row's adapter.
 * @module
 */
import { IndexRangeError, ShapeError } from '../errors.js';
import { fromF32, toF32 } from '../tensor/convert.js';
import { formatShape, tensor, type HostTensor } from '../tensor/host-tensor.js';
import { BF16_TOL, F16_TOL, F32_TOL, type KernelContract, type WeightDType } from './contract.js';
import { adapterRow, checkAdapterOperands, type AdapterForwardDims } from './adapter-forward.js';
import { requireFloat, type TensorInfo } from './check.js';
import type { HostTensors, TensorFamily, TensorOf } from './tensor-family.js';

/** One adapter of a mixed batch: its composed A (r, in) and B (out, r); r may differ between adapters. */
export interface LowRankAdapter<F extends TensorFamily = HostTensors> {
  readonly A: TensorOf<F, 'f32'>;
  readonly B: TensorOf<F, 'f32'>;
}

/** Arguments of {@link mixedBatchForward}. */
export interface MixedBatchForwardArgs<D extends WeightDType = WeightDType, F extends TensorFamily = HostTensors> {
  /** (n, in) layer input; the output has this dtype. */
  readonly x: TensorOf<F, D>;
  /** (n, out) base layer output. */
  readonly baseOut: TensorOf<F, WeightDType>;
  readonly adapters: readonly LowRankAdapter<F>[];
  /** (n) adapter number of each row, −1 for the base layer alone. */
  readonly rowAdapter: Int32Array;
}

/** Contract of {@link mixedBatchForward}. */
export const MIXED_BATCH_FORWARD_CONTRACT: KernelContract<'mixedBatchForward'> = {
  name: 'mixedBatchForward',
  summary: 'y[n] = baseOut[n] + (x[n]·A_aᵀ)·B_aᵀ with a = rowAdapter[n]; a = −1 leaves the row unchanged.',
  inputs: [
    { name: 'x', dtype: 'f32|bf16|f16', shape: '(n, in)', doc: 'layer input' },
    { name: 'baseOut', dtype: 'f32|bf16|f16', shape: '(n, out)', doc: 'base layer output' },
    { name: 'adapters', dtype: '{A: f32, B: f32}[]', shape: '[(r_a, in), (out, r_a)]', doc: 'composed adapters' },
  ],
  attributes: [{ name: 'rowAdapter', type: 'Int32Array (n)', doc: 'adapter per row, −1 = none' }],
  outputs: [{ name: 'y', dtype: 'x dtype', shape: '(n, out)', doc: 'per-row adapter output' }],
  accuracy: { f32: { y: F32_TOL }, bf16: { y: BF16_TOL }, f16: { y: F16_TOL } },
  accuracyNote: 'Same as adapterForward; the reference gives bit-identical rows to adapterForward.',
};

/** Sizes read from valid {@link mixedBatchForward} arguments. */
export interface MixedBatchForwardDims {
  /** Rows of the batch. */
  readonly n: number;
  readonly inF: number;
  readonly outF: number;
  /** Each adapter's sizes (its own r). */
  readonly adapters: readonly AdapterForwardDims[];
}

/**
 * Checks {@link mixedBatchForward}'s arguments: the rules and messages every backend gives — x (n, in), baseOut
 * (n, out), one rowAdapter entry per row, each adapter against x (its errors end in `(adapter j)`), then every
 * row's adapter number.
 * @throws {ShapeError} on wrong dtypes or shapes, or a row adapter number out of range.
 */
export function checkMixedBatchForwardArgs(args: {
  readonly x: TensorInfo;
  readonly baseOut: TensorInfo;
  readonly adapters: readonly { readonly A: TensorInfo; readonly B: TensorInfo }[];
  readonly rowAdapter: ArrayLike<number>;
}): MixedBatchForwardDims {
  const { x, baseOut, adapters, rowAdapter } = args;
  const K = 'mixedBatchForward';
  if (x.shape.length !== 2) throw new ShapeError(`${K}: x must have shape (n, in), got ${formatShape(x.shape)}`, 'x');
  const [n, inF] = x.shape as [number, number];
  if (baseOut.shape.length !== 2 || baseOut.shape[0] !== n) {
    throw new ShapeError(`${K}: baseOut must have shape (n=${n}, out), got ${formatShape(baseOut.shape)}`, 'baseOut');
  }
  const outF = baseOut.shape[1]!;
  if (rowAdapter.length !== n) {
    throw new ShapeError(
      `${K}: rowAdapter must have ${n} entries (one per row of x), got ${rowAdapter.length}`,
      'rowAdapter',
    );
  }
  requireFloat(x, 'x', K);
  requireFloat(baseOut, 'baseOut', K);
  const dims = adapters.map((a, j) => {
    try {
      return checkAdapterOperands(x, baseOut, a.A, a.B, K);
    } catch (e) {
      if (e instanceof ShapeError) throw e.withContext(` (adapter ${j})`, `adapters[${j}]`);
      throw e;
    }
  });
  for (let row = 0; row < n; row++) {
    const a = rowAdapter[row]!;
    if (!(a === -1 || (Number.isInteger(a) && a >= 0 && a < adapters.length))) {
      throw new IndexRangeError(
        `${K}: rowAdapter[${row}] = ${a} is not an adapter number (expected −1 or 0..${adapters.length - 1})`,
        'rowAdapter',
      );
    }
  }
  return { n, inF, outF, adapters: dims };
}

/**
 * Adapter forward with a different adapter per batch row (no dropout: inference).
 * @throws {ShapeError} on wrong shapes, adapters that disagree on in/out, or a row adapter number out of range.
 */
export function mixedBatchForward<D extends WeightDType>(args: MixedBatchForwardArgs<D>): HostTensor<D> {
  const { x, baseOut, adapters, rowAdapter } = args;
  const { n, inF, outF, adapters: dims } = checkMixedBatchForwardArgs(args);
  const xs = toF32(x).data; // (n, in)
  const base = toF32(baseOut).data; // (n, out)
  const y = new Float32Array(n * outF);
  for (let row = 0; row < n; row++) {
    const a = rowAdapter[row]!;
    if (a === -1) {
      for (let o = 0; o < outF; o++) y[row * outF + o] = base[row * outF + o]!;
      continue;
    }
    const d = dims[a]!;
    const adapter = adapters[a]!;
    adapterRow(xs, row * inF, base, row * outF, adapter.A.data, adapter.B.data, [d.r, d.inF, d.outF], y);
  }
  return fromF32(tensor('f32', [n, outF], y), x.dtype) as HostTensor<D>;
}
