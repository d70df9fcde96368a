/**
 * The data shape of a kernel contract: inputs, attributes, outputs and the accuracy a backend must reach per
 * compute precision, written down as plain data so the conformance kit and the docs can read it.
 * @module
 */
import type { Tolerance } from '../numerics/compare.js';

/** Float dtypes a base weight, bias, activation or layer output may have (bf16/f16 kept as bit patterns). */
export type WeightDType = 'f32' | 'bf16' | 'f16';

/** Compute precision of a backend: float32 everywhere, or bfloat16 / float16 arithmetic. */
export type Precision = 'f32' | 'bf16' | 'f16';

/** One tensor input or output of a kernel. */
export interface TensorSpec {
  readonly name: string;
  /** Accepted dtypes, e.g. `f32` or `f32|bf16|f16` or `int` (any integer dtype). */
  readonly dtype: string;
  /** Shape in symbols, e.g. `(..., nv)`. */
  readonly shape: string;
  readonly optional?: boolean;
  readonly doc: string;
}

/** One non-tensor attribute of a kernel. */
export interface AttributeSpec {
  readonly name: string;
  readonly type: string;
  readonly optional?: boolean;
  readonly doc: string;
}

/** Accuracy of one output: compared exactly, or within `|a − e| ≤ atol + rtol·|e|`. */
export type OutputAccuracy = 'exact' | Tolerance;

/** A kernel's contract as data. */
export interface KernelContract<N extends string = string> {
  readonly name: N;
  readonly summary: string;
  readonly inputs: readonly TensorSpec[];
  readonly attributes: readonly AttributeSpec[];
  readonly outputs: readonly TensorSpec[];
  /** Declared accuracy of each output against the reference kernel, per compute precision. */
  readonly accuracy: Readonly<Record<Precision, Readonly<Record<string, OutputAccuracy>>>>;
  /** The input scale the tolerances assume and anything else needed to read them. */
  readonly accuracyNote: string;
}

/**
 * Backend-vs-reference tolerance for float32 compute on unit-scale data. Wider than a few ulps on purpose: GPU
 * `exp`/`log` (WGSL allows 3 + 2·|x| ulps) and reordered sums are legitimate; the reference itself matches PEFT
 * to ≤ 2 ulps (see each kernel's golden test).
 */
export const F32_TOL: Tolerance = { atol: 1e-6, rtol: 1e-5 };
/** Tolerance for bfloat16 compute (8-bit significand): a few bf16 ulps of unit-scale data. */
export const BF16_TOL: Tolerance = { atol: 2e-2, rtol: 2e-2 };
/** Tolerance for float16 compute (11-bit significand): a few f16 ulps of unit-scale data. */
export const F16_TOL: Tolerance = { atol: 4e-3, rtol: 4e-3 };
