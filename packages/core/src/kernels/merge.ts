/**
 * Kernels `merge` and `unmerge`: W ← round_dtype(f32(W) ± B·A) (SPEC §4.4), in one pass over W without
 * materialising the delta. The input tensor is left untouched; a new tensor of the same dtype is returned.
 * bf16/f16 weights are widened exactly, the sum is rounded to float32 (torch's type promotion), then rounded to
 * nearest-even in the weight dtype — the double rounding PEFT does.
 * @module
 */
import { ShapeError } from '../errors.js';
import { fromF32, toF32 } from '../tensor/convert.js';
import { formatShape, tensor, type HostTensor } from '../tensor/host-tensor.js';
import { requireFloat, type TensorInfo } from './check.js';
import { F32_TOL, type KernelContract, type WeightDType } from './contract.js';
import { checkLowRankPair, deltaElement, type LowRankDims } from './delta-weight.js';
import { nonFiniteMergeError } from './kernel-errors.js';
import type { HostTensors, TensorFamily, TensorOf } from './tensor-family.js';

/** Arguments of {@link merge} and {@link unmerge}. */
export interface MergeArgs<D extends WeightDType = WeightDType, F extends TensorFamily = HostTensors> {
  /** Base weight (out, in), or (in, out) when `fanInFanOut`; f32, bf16 or f16. */
  readonly weight: TensorOf<F, D>;
  /** (r, in) float32. */
  readonly A: TensorOf<F, 'f32'>;
  /** (out, r) float32. */
  readonly B: TensorOf<F, 'f32'>;
  readonly fanInFanOut?: boolean;
  /** PEFT's `safe_merge`: fail if any merged element is not finite. */
  readonly safe?: boolean;
  /** Adapter name for the safe-mode message (default `"default"`). */
  readonly adapter?: string;
  /** Module path for the safe-mode message and the error's `where`. */
  readonly module?: string;
}

/** 2^-8: one bfloat16 ulp relative (8-bit significand). */
const BF16_ULP_REL = 2 ** -8;
/** 2^-11: one float16 ulp relative (11-bit significand). */
const F16_ULP_REL = 2 ** -11;

/** Contract shared by {@link merge} and {@link unmerge} (the output keeps the weight's dtype). */
function mergeContract<N extends 'merge' | 'unmerge'>(name: N): KernelContract<N> {
  const sign = name === 'merge' ? '+' : '−';
  const perDType = {
    'weight:f32': F32_TOL,
    'weight:bf16': { atol: 0, rtol: BF16_ULP_REL },
    'weight:f16': { atol: 0, rtol: F16_ULP_REL },
  };
  return {
    name,
    summary: `W ← round_dtype(f32(W) ${sign} B·A), transposed delta for fan_in_fan_out; safe mode rejects non-finite results.`,
    inputs: [
      { name: 'weight', dtype: 'f32|bf16|f16', shape: '(out, in) | (in, out)', doc: 'base weight' },
      { name: 'A', dtype: 'f32', shape: '(r, in)', doc: 'composed A' },
      { name: 'B', dtype: 'f32', shape: '(out, r)', doc: 'composed B' },
    ],
    attributes: [
      { name: 'fanInFanOut', type: 'boolean', optional: true, doc: 'weight is (in, out)' },
      { name: 'safe', type: 'boolean', optional: true, doc: 'NumericalError on non-finite results' },
      { name: 'adapter', type: 'string', optional: true, doc: 'adapter name for the message' },
      { name: 'module', type: 'string', optional: true, doc: 'module path for the message' },
    ],
    outputs: [{ name: 'weight', dtype: 'same as input', shape: 'same as input', doc: 'merged weight' }],
    accuracy: { f32: perDType, bf16: perDType, f16: perDType },
    accuracyNote:
      'Keyed by the weight dtype. A bf16/f16 result may differ from the reference by one ulp of its dtype, ' +
      'because a last-bit difference of the float32 sum can flip the final rounding.',
  };
}

/** Contract of {@link merge}. */
export const MERGE_CONTRACT: KernelContract<'merge'> = mergeContract('merge');
/** Contract of {@link unmerge}. */
export const UNMERGE_CONTRACT: KernelContract<'unmerge'> = mergeContract('unmerge');

/**
 * Checks {@link merge}'s (or {@link unmerge}'s) arguments: the rules and messages every backend gives.
 * @throws {ShapeError} on wrong dtypes or shapes.
 */
export function checkMergeArgs(
  args: { readonly weight: TensorInfo; readonly A: TensorInfo; readonly B: TensorInfo; readonly fanInFanOut?: boolean },
  kernel: 'merge' | 'unmerge',
): LowRankDims {
  const { weight, A, B, fanInFanOut = false } = args;
  requireFloat(weight, 'weight', kernel);
  const dims = checkLowRankPair(A, B, kernel);
  const want = fanInFanOut ? [dims.inF, dims.outF] : [dims.outF, dims.inF];
  if (weight.shape.length !== 2 || weight.shape[0] !== want[0] || weight.shape[1] !== want[1]) {
    throw new ShapeError(
      `${kernel}: weight must have shape ${formatShape(want)} (${fanInFanOut ? 'in, out' : 'out, in'}) for A ` +
        `${formatShape(A.shape)} and B ${formatShape(B.shape)}, got ${formatShape(weight.shape)}`,
      'weight',
    );
  }
  return dims;
}

function apply<D extends WeightDType>(args: MergeArgs<D>, sign: 1 | -1, kernel: 'merge' | 'unmerge'): HostTensor<D> {
  const { weight, A, B, fanInFanOut = false, safe = false, adapter = 'default', module } = args;
  const { r, inF, outF } = checkMergeArgs(args, kernel);
  const w = toF32(weight).data; // exact widening (no copy for f32)
  const out = new Float32Array(w.length); // same layout as weight
  for (let o = 0; o < outF; o++) {
    for (let i = 0; i < inF; i++) {
      const at = fanInFanOut ? i * outF + o : o * inF + i;
      out[at] = Math.fround(w[at]! + sign * deltaElement(A.data, B.data, r, inF, o, i));
    }
  }
  const result = fromF32(tensor('f32', weight.shape, out), weight.dtype) as HostTensor<D>;
  if (safe) {
    const values = toF32(result).data; // check after rounding: bf16/f16 may overflow to inf
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw nonFiniteMergeError(adapter, module, bad);
  }
  return result;
}

/**
 * Merges an adapter into a base weight: returns round_dtype(f32(W) + B·A) (transposed delta for fan_in_fan_out).
 * @throws {NumericalError} in safe mode when a merged element is NaN or infinite (PEFT's message).
 * @throws {ShapeError} on wrong dtypes or shapes.
 * @example
 * ```ts
 * const merged = merge({ weight: qProjWeight, A, B, safe: true, module: 'model.layers.0.self_attn.q_proj' });
 * ```
 */
export function merge<D extends WeightDType>(args: MergeArgs<D>): HostTensor<D> {
  return apply(args, 1, 'merge');
}

/**
 * Removes a merged adapter from a weight: returns round_dtype(f32(W) − B·A). Not bit-exact with the weight before
 * merging (two roundings), exactly as in PEFT.
 * @throws {NumericalError} in safe mode when an element is NaN or infinite.
 * @throws {ShapeError} on wrong dtypes or shapes.
 */
export function unmerge<D extends WeightDType>(args: MergeArgs<D>): HostTensor<D> {
  return apply(args, -1, 'unmerge');
}
