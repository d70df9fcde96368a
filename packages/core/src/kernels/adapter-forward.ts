/**
 * Kernel `adapterForward`: an unmerged VB-LoRA layer, y = base(x) + (drop(x)·Aᵀ)·Bᵀ (SPEC §4.3). No scaling.
 *
 * Arithmetic: x widened exactly to float32; h = drop(x)·Aᵀ and t = h·Bᵀ with float32 products summed in order;
 * y = round_xdtype(f32(baseOut + t)) — torch's promotion of a bf16 base output plus a float32 adapter term, then
 * the cast back to the input dtype. Bit-exact with PEFT's golden probes.
 * @module
 */
import { ConfigError, ShapeError } from '../errors.js';
import { createRng } from '../numerics/rng.js';
import { fromF32, toF32 } from '../tensor/convert.js';
import { formatShape, tensor, type HostTensor } from '../tensor/host-tensor.js';
import { lastDim, leadingRows, requireExactShape, requireFloat, requireMinRank, type TensorInfo } from './check.js';
import { BF16_TOL, F16_TOL, F32_TOL, type KernelContract, type WeightDType } from './contract.js';
import { checkLowRankPair, type LowRankDims } from './delta-weight.js';
import type { HostTensors, TensorFamily, TensorOf } from './tensor-family.js';

/** Inverted dropout on the adapter input (training mode only: omit it for inference). */
export interface DropoutSpec {
  /** Drop probability, 0 ≤ p ≤ 1. */
  readonly p: number;
  /** Seed of the mask stream ({@link createRng}). */
  readonly seed: number;
}

/** Arguments of {@link adapterForward}. */
export interface AdapterForwardArgs<D extends WeightDType = WeightDType, F extends TensorFamily = HostTensors> {
  /** (..., in) layer input; the output has this dtype. */
  readonly x: TensorOf<F, D>;
  /** (..., out) base layer output for x (any float dtype). */
  readonly baseOut: TensorOf<F, WeightDType>;
  /** (r, in) float32. */
  readonly A: TensorOf<F, 'f32'>;
  /** (out, r) float32. */
  readonly B: TensorOf<F, 'f32'>;
  readonly dropout?: DropoutSpec;
}

/** Contract of {@link adapterForward}. */
export const ADAPTER_FORWARD_CONTRACT: KernelContract<'adapterForward'> = {
  name: 'adapterForward',
  summary: 'y = baseOut + (drop(x)·Aᵀ)·Bᵀ, output in x’s dtype.',
  inputs: [
    { name: 'x', dtype: 'f32|bf16|f16', shape: '(..., in)', doc: 'layer input' },
    { name: 'baseOut', dtype: 'f32|bf16|f16', shape: '(..., out)', doc: 'base layer output' },
    { name: 'A', dtype: 'f32', shape: '(r, in)', doc: 'composed A' },
    { name: 'B', dtype: 'f32', shape: '(out, r)', doc: 'composed B' },
  ],
  attributes: [{ name: 'dropout', type: '{ p, seed }', optional: true, doc: 'training-mode inverted dropout' }],
  outputs: [{ name: 'y', dtype: 'x dtype', shape: '(..., out)', doc: 'layer output with the adapter' }],
  accuracy: { f32: { y: F32_TOL }, bf16: { y: BF16_TOL }, f16: { y: F16_TOL } },
  accuracyNote:
    'Unit-scale data, in ≤ 4096. With dropout, only backends that draw the same mask (dropoutMask) can be compared.',
};

function checkDropoutP(p: number): void {
  if (!(p >= 0 && p <= 1)) throw new ConfigError(`dropout probability must be in [0, 1], got ${p}`, 'vblora_dropout');
}

/**
 * The keep mask of inverted dropout over `n` elements in C order: element j is kept (1) when the j-th
 * `uniform()` of `createRng(seed)` is ≥ p, so each element is kept with probability 1 − p.
 * @throws {ConfigError} when p is not in [0, 1] or the seed is not a safe integer.
 */
export function dropoutMask(n: number, p: number, seed: number): Uint8Array {
  checkDropoutP(p);
  const rng = createRng(seed);
  const mask = new Uint8Array(n);
  for (let j = 0; j < n; j++) mask[j] = rng.uniform() >= p ? 1 : 0;
  return mask;
}

/** Applies inverted dropout to float32 values: kept elements times f32(1 / f32(1 − p)) (torch's scale), others 0. @internal */
export function applyDropout(x: Float32Array, spec: DropoutSpec): Float32Array {
  const mask = dropoutMask(x.length, spec.p, spec.seed);
  const scale = Math.fround(1 / Math.fround(1 - spec.p));
  const out = new Float32Array(x.length);
  for (let j = 0; j < x.length; j++) out[j] = mask[j] === 1 ? Math.fround(x[j]! * scale) : 0;
  return out;
}

/**
 * One row of the adapter term added to the base output: y[o] = f32(base[o] + Σ_i (Σ_c x[c]·A[i, c])·B[o, i]).
 * Shared with mixedBatchForward so that both give identical bits.
 * @internal
 */
export function adapterRow(
  x: Float32Array,
  xOff: number,
  base: Float32Array,
  yOff: number,
  A: Float32Array,
  B: Float32Array,
  dims: readonly [number, number, number],
  y: Float32Array,
): void {
  const [r, inF, outF] = dims;
  const h = new Float32Array(r); // (r,) = x·Aᵀ
  for (let i = 0; i < r; i++) {
    let acc = 0;
    for (let c = 0; c < inF; c++) acc = Math.fround(acc + Math.fround(x[xOff + c]! * A[i * inF + c]!));
    h[i] = acc;
  }
  for (let o = 0; o < outF; o++) {
    let acc = 0; // (h·Bᵀ)[o]
    for (let i = 0; i < r; i++) acc = Math.fround(acc + Math.fround(h[i]! * B[o * r + i]!));
    y[yOff + o] = Math.fround(base[yOff + o]! + acc);
  }
}

/** Sizes read from valid {@link adapterForward} arguments. */
export interface AdapterForwardDims extends LowRankDims {
  /** Rows of x (the product of its leading dimensions). */
  readonly rows: number;
}

/** Checks x / baseOut against A and B (also each adapter of a mixed batch). @internal */
export function checkAdapterOperands(
  x: TensorInfo,
  baseOut: TensorInfo,
  A: TensorInfo,
  B: TensorInfo,
  kernel: string,
): AdapterForwardDims {
  requireFloat(x, 'x', kernel);
  requireFloat(baseOut, 'baseOut', kernel);
  requireMinRank(x, 1, '(..., in)', 'x', kernel);
  const dims = checkLowRankPair(A, B, kernel);
  if (lastDim(x.shape) !== dims.inF) {
    throw new ShapeError(
      `${kernel}: x ${formatShape(x.shape)} must end in in = ${dims.inF} (from A ${formatShape(A.shape)})`,
      'x',
    );
  }
  requireExactShape(baseOut, [...x.shape.slice(0, -1), dims.outF], 'baseOut', kernel);
  return { ...dims, rows: leadingRows(x.shape) };
}

/**
 * Checks {@link adapterForward}'s arguments: the rules and messages every backend gives (shapes first, then the
 * dropout probability and seed).
 * @throws {ShapeError} on wrong dtypes or shapes.
 * @throws {ConfigError} on a dropout probability outside [0, 1] or a seed that is not a safe integer.
 */
export function checkAdapterForwardArgs(args: {
  readonly x: TensorInfo;
  readonly baseOut: TensorInfo;
  readonly A: TensorInfo;
  readonly B: TensorInfo;
  readonly dropout?: DropoutSpec | undefined;
}): AdapterForwardDims {
  const dims = checkAdapterOperands(args.x, args.baseOut, args.A, args.B, 'adapterForward');
  if (args.dropout !== undefined) {
    checkDropoutP(args.dropout.p);
    createRng(args.dropout.seed); // the seed rule lives there (ConfigError)
  }
  return dims;
}

/**
 * Unmerged adapter forward: y = baseOut + (drop(x)·Aᵀ)·Bᵀ in x's dtype. Pass `dropout` only in training mode.
 * @throws {ShapeError} on wrong dtypes or shapes.
 * @throws {ConfigError} on a dropout probability outside [0, 1].
 */
export function adapterForward<D extends WeightDType>(args: AdapterForwardArgs<D>): HostTensor<D> {
  const { x, baseOut, A, B, dropout } = args;
  const { rows, r, inF, outF } = checkAdapterForwardArgs(args);
  let xs = toF32(x).data; // (rows, in)
  if (dropout !== undefined) xs = applyDropout(xs, dropout);
  const base = toF32(baseOut).data; // (rows, out)
  const y = new Float32Array(rows * outF);
  for (let n = 0; n < rows; n++) adapterRow(xs, n * inF, base, n * outF, A.data, B.data, [r, inF, outF], y);
  return fromF32(tensor('f32', baseOut.shape, y), x.dtype) as HostTensor<D>;
}
