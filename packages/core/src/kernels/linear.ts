/**
 * Kernel `linear`: the base layer's forward, y = x·Wᵀ + b (nn.Linear) or x·W + b (Conv1D, `fanInFanOut`), for
 * f32/bf16/f16 weights — enough to build toy models around the adapter kernels.
 *
 * Arithmetic (matches torch 1.13 CPU bit-for-bit on the golden probes, bf16 included): inputs widened exactly to
 * float32, products rounded to float32 and summed over `in` in order from 0, bias added after the sum, then the
 * float32 result rounded once to x's dtype.
 * @module
 */
import { ShapeError } from '../errors.js';
import { fromF32, toF32 } from '../tensor/convert.js';
import { formatShape, tensor, type HostTensor } from '../tensor/host-tensor.js';
import { lastDim, leadingRows, requireFloat, requireMinRank, type TensorInfo } from './check.js';
import { BF16_TOL, F16_TOL, F32_TOL, type KernelContract, type WeightDType } from './contract.js';
import type { HostTensors, TensorFamily, TensorOf } from './tensor-family.js';

/** Arguments of {@link linear}. */
export interface LinearArgs<D extends WeightDType = WeightDType, F extends TensorFamily = HostTensors> {
  /** (..., in) activations; the output has this dtype. */
  readonly x: TensorOf<F, D>;
  /** (out, in), or (in, out) when `fanInFanOut`. */
  readonly weight: TensorOf<F, WeightDType>;
  /** (out,) optional bias. */
  readonly bias?: TensorOf<F, WeightDType>;
  readonly fanInFanOut?: boolean;
}

/** Contract of {@link linear}. */
export const LINEAR_CONTRACT: KernelContract<'linear'> = {
  name: 'linear',
  summary: 'Base layer forward: y = x·Wᵀ + b (or x·W + b for fan_in_fan_out), output in x’s dtype.',
  inputs: [
    { name: 'x', dtype: 'f32|bf16|f16', shape: '(..., in)', doc: 'activations' },
    { name: 'weight', dtype: 'f32|bf16|f16', shape: '(out, in) | (in, out)', doc: 'base weight' },
    { name: 'bias', dtype: 'f32|bf16|f16', shape: '(out,)', optional: true, doc: 'bias' },
  ],
  attributes: [{ name: 'fanInFanOut', type: 'boolean', optional: true, doc: 'weight is (in, out)' }],
  outputs: [{ name: 'y', dtype: 'x dtype', shape: '(..., out)', doc: 'layer output' }],
  accuracy: { f32: { y: F32_TOL }, bf16: { y: BF16_TOL }, f16: { y: F16_TOL } },
  accuracyNote:
    'Unit-scale data with in ≤ 4096; tolerances relative to Σ|x||W| ≈ output scale. bf16 outputs: 1–2 bf16 ulps.',
};

/** Sizes read from valid {@link linear} arguments. */
export interface LinearDims {
  /** Rows of x (the product of its leading dimensions). */
  readonly rows: number;
  readonly inF: number;
  readonly outF: number;
}

/**
 * Checks {@link linear}'s arguments: the rules and messages every backend gives. `kernel` names a fused kernel
 * built on the linear layer in the messages (default `linear`).
 * @throws {ShapeError} on wrong dtypes or shapes.
 */
export function checkLinearArgs(
  args: {
    readonly x: TensorInfo;
    readonly weight: TensorInfo;
    readonly bias?: TensorInfo | undefined;
    readonly fanInFanOut?: boolean;
  },
  kernel = 'linear',
): LinearDims {
  const { x, weight, bias, fanInFanOut = false } = args;
  const K = kernel;
  requireFloat(x, 'x', K);
  requireFloat(weight, 'weight', K);
  requireMinRank(x, 1, '(..., in)', 'x', K);
  const inF = lastDim(x.shape);
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
  return { rows: leadingRows(x.shape), inF, outF };
}

/**
 * Base layer forward y (..., out) = x·Wᵀ + b, or x·W + b when `fanInFanOut`, rounded to x's dtype.
 * @throws {ShapeError} on wrong dtypes or shapes.
 */
export function linear<D extends WeightDType>(args: LinearArgs<D>): HostTensor<D> {
  const { x, weight, bias, fanInFanOut = false } = args;
  const { rows, inF, outF } = checkLinearArgs(args);
  const xs = toF32(x).data; // (rows, in)
  const w = toF32(weight).data; // (out, in) or (in, out)
  const b = bias === undefined ? undefined : toF32(bias).data; // (out,)
  const y = new Float32Array(rows * outF); // (rows, out)
  for (let n = 0; n < rows; n++) {
    for (let o = 0; o < outF; o++) {
      let acc = 0;
      for (let i = 0; i < inF; i++) {
        const wv = fanInFanOut ? w[i * outF + o]! : w[o * inF + i]!;
        acc = Math.fround(acc + Math.fround(xs[n * inF + i]! * wv));
      }
      y[n * outF + o] = b === undefined ? acc : Math.fround(acc + b[o]!);
    }
  }
  return fromF32(tensor('f32', [...x.shape.slice(0, -1), outF], y), x.dtype) as HostTensor<D>;
}
