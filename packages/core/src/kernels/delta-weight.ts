/**
 * Kernel `deltaWeight`: ΔW = B·A (out, in), transposed to (in, out) for `fan_in_fan_out` (GPT-2 Conv1D) layers
 * (SPEC §4.4). Float32, products rounded, summed over r in order: bit-exact with PEFT's golden deltas.
 * @module
 */
import { ShapeError } from '../errors.js';
import { formatShape, tensor, type HostTensor } from '../tensor/host-tensor.js';
import { requireF32, requireShape, type TensorInfo } from './check.js';
import { BF16_TOL, F16_TOL, F32_TOL, type KernelContract } from './contract.js';
import type { HostTensors, TensorFamily, TensorOf } from './tensor-family.js';

/** Arguments of {@link deltaWeight}. */
export interface DeltaWeightArgs<F extends TensorFamily = HostTensors> {
  /** (r, in) float32. */
  readonly A: TensorOf<F, 'f32'>;
  /** (out, r) float32. */
  readonly B: TensorOf<F, 'f32'>;
  /** True for Conv1D-style weights stored (in, out). Default false. */
  readonly fanInFanOut?: boolean;
}

/** Contract of {@link deltaWeight}. */
export const DELTA_WEIGHT_CONTRACT: KernelContract<'deltaWeight'> = {
  name: 'deltaWeight',
  summary: 'ΔW = B·A, transposed for fan_in_fan_out.',
  inputs: [
    { name: 'A', dtype: 'f32', shape: '(r, in)', doc: 'composed A' },
    { name: 'B', dtype: 'f32', shape: '(out, r)', doc: 'composed B' },
  ],
  attributes: [{ name: 'fanInFanOut', type: 'boolean', optional: true, doc: 'output (in, out) instead of (out, in)' }],
  outputs: [{ name: 'delta', dtype: 'f32', shape: '(out, in) | (in, out)', doc: 'Σ_r B[o, r]·A[r, i]' }],
  accuracy: { f32: { delta: F32_TOL }, bf16: { delta: BF16_TOL }, f16: { delta: F16_TOL } },
  accuracyNote: 'Unit-scale A and B (|A|, |B| ≤ 1, r ≤ 64); tolerances are relative to Σ_r |B||A| ≈ the output scale.',
};

/** Sizes of a valid low-rank pair A (r, in), B (out, r). */
export interface LowRankDims {
  readonly r: number;
  readonly inF: number;
  readonly outF: number;
}

/**
 * Checks a low-rank pair: float32 A (r, in) and B (out, r) with the same r. The common part of every kernel that
 * takes A and B (`deltaWeight`, `merge`, the forwards), with their messages.
 * @throws {ShapeError} on a wrong dtype or shape, or B's r not matching A's.
 */
export function checkLowRankPair(A: TensorInfo, B: TensorInfo, kernel: string): LowRankDims {
  requireF32(A, 'A', kernel);
  requireF32(B, 'B', kernel);
  requireShape(A, [null, null], ['r', 'in'], 'A', kernel);
  requireShape(B, [null, null], ['out', 'r'], 'B', kernel);
  const [r, inF] = A.shape as [number, number];
  const [outF, rB] = B.shape as [number, number];
  if (rB !== r) {
    throw new ShapeError(
      `${kernel}: B ${formatShape(B.shape)} must have r = ${r} columns to match A ${formatShape(A.shape)}`,
      'B',
    );
  }
  return { r, inF, outF };
}

/**
 * Checks {@link deltaWeight}'s arguments: the rules and messages every backend gives.
 * @throws {ShapeError} on wrong dtypes or shapes.
 */
export function checkDeltaWeightArgs(args: { readonly A: TensorInfo; readonly B: TensorInfo }): LowRankDims {
  return checkLowRankPair(args.A, args.B, 'deltaWeight');
}

/**
 * One element of B·A: Σ_j B[o, j]·A[j, i] in float32, each product rounded, summed in j order from 0.
 * @internal
 */
export function deltaElement(a: Float32Array, b: Float32Array, r: number, inF: number, o: number, i: number): number {
  let acc = 0;
  for (let j = 0; j < r; j++) acc = Math.fround(acc + Math.fround(b[o * r + j]! * a[j * inF + i]!));
  return acc;
}

/**
 * Delta weight of one layer: B·A (out, in), or its transpose (in, out) when `fanInFanOut`.
 * @throws {ShapeError} on wrong dtypes or shapes.
 */
export function deltaWeight(args: DeltaWeightArgs): HostTensor<'f32'> {
  const { A, B, fanInFanOut = false } = args;
  const { r, inF, outF } = checkDeltaWeightArgs(args);
  const out = new Float32Array(outF * inF);
  for (let o = 0; o < outF; o++) {
    for (let i = 0; i < inF; i++) {
      const d = deltaElement(A.data, B.data, r, inF, o, i);
      if (fanInFanOut)
        out[i * outF + o] = d; // (in, out)
      else out[o * inF + i] = d; // (out, in)
    }
  }
  return tensor('f32', fanInFanOut ? [inF, outF] : [outF, inF], out);
}
