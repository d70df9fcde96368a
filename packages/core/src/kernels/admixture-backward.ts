/**
 * Kernels `admixtureBackward` and `composeBackward`: gradients through the top-k admixture (for training).
 *
 * With the selection fixed (top-k is piecewise constant), for one row with selected indices idx_j, softmax weights
 * w_j and upstream gradient g (vl): dL/dw_j = g·bank[idx_j]; dL/dlogit[idx_j] = w_j·(dL/dw_j − Σ_i w_i·dL/dw_i)
 * (softmax Jacobian), zero outside the top-k; dL/dbank[idx_j] += w_j·g (scatter-add over all rows).
 * PEFT has no golden gradients, so the reference works in float64 (softmax included) and rounds each output once;
 * the tests check it against central finite differences.
 * @module
 */
import { tensor } from '../tensor/host-tensor.js';
import {
  leadingRows,
  requireExactShape,
  requireF32,
  requireK,
  requireLastDim,
  requireMinRank,
  requireShape,
  type TensorInfo,
} from './check.js';
import { BF16_TOL, F16_TOL, F32_TOL, type KernelContract } from './contract.js';
import { selectTopk } from './topk-admixture.js';
import type { HostTensors, TensorFamily, TensorOf } from './tensor-family.js';

/** Arguments of {@link admixtureBackward}. */
export interface AdmixtureBackwardArgs<F extends TensorFamily = HostTensors> {
  /** (..., nv) float32 logits of the forward pass. */
  readonly logits: TensorOf<F, 'f32'>;
  /** (nv, vl) float32 bank. */
  readonly bank: TensorOf<F, 'f32'>;
  readonly k: number;
  /** (..., vl) float32 dL/dvectors. */
  readonly gradVectors: TensorOf<F, 'f32'>;
}

/** Result of {@link admixtureBackward}. */
export interface AdmixtureGrads<F extends TensorFamily = HostTensors> {
  /** (..., nv) dL/dlogits, zero outside each row's top-k. */
  readonly gradLogits: TensorOf<F, 'f32'>;
  /** (nv, vl) dL/dbank. */
  readonly gradBank: TensorOf<F, 'f32'>;
}

/** Arguments of {@link composeBackward}. */
export interface ComposeBackwardArgs<F extends TensorFamily = HostTensors> {
  /** (r, in_t, nv) float32. */
  readonly logitsA: TensorOf<F, 'f32'>;
  /** (out_t, r, nv) float32. */
  readonly logitsB: TensorOf<F, 'f32'>;
  /** (nv, vl) float32. */
  readonly bank: TensorOf<F, 'f32'>;
  readonly k: number;
  /** (r, in) dL/dA. */
  readonly gradA: TensorOf<F, 'f32'>;
  /** (out, r) dL/dB. */
  readonly gradB: TensorOf<F, 'f32'>;
}

/** Result of {@link composeBackward}. */
export interface ComposeGrads<F extends TensorFamily = HostTensors> {
  /** (r, in_t, nv) */
  readonly gradLogitsA: TensorOf<F, 'f32'>;
  /** (out_t, r, nv) */
  readonly gradLogitsB: TensorOf<F, 'f32'>;
  /** (nv, vl) sum of the contributions through A and B (the bank is shared). */
  readonly gradBank: TensorOf<F, 'f32'>;
}

const GRAD_ACCURACY = {
  f32: { gradLogits: F32_TOL, gradBank: F32_TOL },
  bf16: { gradLogits: BF16_TOL, gradBank: BF16_TOL },
  f16: { gradLogits: F16_TOL, gradBank: F16_TOL },
} as const;

/** Contract of {@link admixtureBackward}. */
export const ADMIXTURE_BACKWARD_CONTRACT: KernelContract<'admixtureBackward'> = {
  name: 'admixtureBackward',
  summary: 'Gradients of the top-k admixture w.r.t. logits (softmax Jacobian on the top-k) and bank (scatter-add).',
  inputs: [
    { name: 'logits', dtype: 'f32', shape: '(..., nv)', doc: 'forward logits' },
    { name: 'bank', dtype: 'f32', shape: '(nv, vl)', doc: 'vector bank' },
    { name: 'gradVectors', dtype: 'f32', shape: '(..., vl)', doc: 'upstream gradient' },
  ],
  attributes: [{ name: 'k', type: 'integer, 1 ≤ k ≤ nv', doc: 'top-k' }],
  outputs: [
    { name: 'gradLogits', dtype: 'f32', shape: '(..., nv)', doc: 'zero outside the top-k' },
    { name: 'gradBank', dtype: 'f32', shape: '(nv, vl)', doc: 'Σ over rows of w_j·g at idx_j' },
  ],
  accuracy: GRAD_ACCURACY,
  accuracyNote:
    'Unit-scale data, rows without ties at the k-th logit; gradBank sums many rows (allow for their count).',
};

/** Contract of {@link composeBackward}. */
export const COMPOSE_BACKWARD_CONTRACT: KernelContract<'composeBackward'> = {
  name: 'composeBackward',
  summary: 'dL/dA, dL/dB back to logits A/B gradients and the bank gradient (reverses composeLowRank).',
  inputs: [
    { name: 'logitsA', dtype: 'f32', shape: '(r, in_t, nv)', doc: 'A logits' },
    { name: 'logitsB', dtype: 'f32', shape: '(out_t, r, nv)', doc: 'B logits' },
    { name: 'bank', dtype: 'f32', shape: '(nv, vl)', doc: 'vector bank' },
    { name: 'gradA', dtype: 'f32', shape: '(r, in)', doc: 'dL/dA' },
    { name: 'gradB', dtype: 'f32', shape: '(out, r)', doc: 'dL/dB' },
  ],
  attributes: [{ name: 'k', type: 'integer, 1 ≤ k ≤ nv', doc: 'top-k' }],
  outputs: [
    { name: 'gradLogitsA', dtype: 'f32', shape: '(r, in_t, nv)', doc: 'dL/dlogitsA' },
    { name: 'gradLogitsB', dtype: 'f32', shape: '(out_t, r, nv)', doc: 'dL/dlogitsB' },
    { name: 'gradBank', dtype: 'f32', shape: '(nv, vl)', doc: 'dL/dbank' },
  ],
  accuracy: {
    f32: { gradLogitsA: F32_TOL, gradLogitsB: F32_TOL, gradBank: F32_TOL },
    bf16: { gradLogitsA: BF16_TOL, gradLogitsB: BF16_TOL, gradBank: BF16_TOL },
    f16: { gradLogitsA: F16_TOL, gradLogitsB: F16_TOL, gradBank: F16_TOL },
  },
  accuracyNote: 'As admixtureBackward.',
};

/**
 * Float64 softmax of the selected logits (NaN if any is NaN). The Jacobian term w_j·(dw_j − Σ w_i·dw_i) cancels,
 * so float32 weights (the forward's) would leave errors far above one float32 rounding of the result.
 */
function softmaxF64(logits: Float32Array, offset: number, idx: Int32Array, w: Float64Array): void {
  let m = -Infinity;
  for (const i of idx)
    m = Number.isNaN(logits[offset + i]!) || Number.isNaN(m) ? NaN : Math.max(m, logits[offset + i]!);
  let s = 0;
  for (let j = 0; j < idx.length; j++) {
    w[j] = Math.exp(logits[offset + idx[j]!]! - m);
    s += w[j]!;
  }
  for (let j = 0; j < idx.length; j++) w[j] = w[j]! / s;
}

/**
 * Backward of one logits tensor: writes dL/dlogits (rows, nv) and adds dL/dbank into a float64 accumulator.
 * `g` is dL/dvectors (rows, vl).
 */
function backwardRows(
  logits: Float32Array,
  rows: number,
  nv: number,
  k: number,
  bank: Float32Array,
  vl: number,
  g: Float64Array,
  gradBank: Float64Array,
): Float32Array {
  const gradLogits = new Float32Array(rows * nv); // zeros outside the top-k
  const idx = new Int32Array(k);
  const w = new Float64Array(k);
  const dw = new Float64Array(k);
  for (let row = 0; row < rows; row++) {
    selectTopk(logits, row * nv, nv, k, idx, 0);
    softmaxF64(logits, row * nv, idx, w);
    let dot = 0; // Σ_i w_i·dL/dw_i
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let c = 0; c < vl; c++) s += g[row * vl + c]! * bank[idx[j]! * vl + c]!;
      dw[j] = s;
      dot += w[j]! * s;
    }
    for (let j = 0; j < k; j++) {
      gradLogits[row * nv + idx[j]!] = w[j]! * (dw[j]! - dot);
      const at = idx[j]! * vl;
      for (let c = 0; c < vl; c++) gradBank[at + c] = gradBank[at + c]! + w[j]! * g[row * vl + c]!;
    }
  }
  return gradLogits;
}

function checkBank(bank: TensorInfo, kernel: string): [number, number] {
  requireF32(bank, 'bank', kernel);
  requireShape(bank, [null, null], ['nv', 'vl'], 'bank', kernel);
  return bank.shape as [number, number];
}

/** Sizes read from valid {@link admixtureBackward} arguments. */
export interface AdmixtureBackwardDims {
  readonly nv: number;
  readonly vl: number;
  readonly k: number;
  /** Number of logits rows (the product of the leading dimensions). */
  readonly rows: number;
}

/**
 * Checks {@link admixtureBackward}'s arguments: the rules and messages every backend gives.
 * @throws {ShapeError} on wrong dtypes or shapes, or k outside 1..nv.
 */
export function checkAdmixtureBackwardArgs(args: {
  readonly logits: TensorInfo;
  readonly bank: TensorInfo;
  readonly k: number;
  readonly gradVectors: TensorInfo;
}): AdmixtureBackwardDims {
  const { logits, bank, k, gradVectors } = args;
  const K = 'admixtureBackward';
  const [nv, vl] = checkBank(bank, K);
  requireF32(logits, 'logits', K);
  requireF32(gradVectors, 'gradVectors', K);
  requireMinRank(logits, 1, '(..., nv)', 'logits', K);
  requireLastDim(logits, nv, 'nv', 'logits', K);
  requireK(k, nv, K);
  requireExactShape(gradVectors, [...logits.shape.slice(0, -1), vl], 'gradVectors', K);
  return { nv, vl, k, rows: leadingRows(logits.shape) };
}

/** Sizes read from valid {@link composeBackward} arguments. */
export interface ComposeBackwardDims {
  readonly nv: number;
  readonly vl: number;
  readonly k: number;
  readonly r: number;
  readonly inT: number;
  readonly outT: number;
}

/**
 * Checks {@link composeBackward}'s arguments: the rules and messages every backend gives.
 * @throws {ShapeError} on wrong dtypes or shapes, or k outside 1..nv.
 */
export function checkComposeBackwardArgs(args: {
  readonly logitsA: TensorInfo;
  readonly logitsB: TensorInfo;
  readonly bank: TensorInfo;
  readonly k: number;
  readonly gradA: TensorInfo;
  readonly gradB: TensorInfo;
}): ComposeBackwardDims {
  const { logitsA, logitsB, bank, k, gradA, gradB } = args;
  const K = 'composeBackward';
  const [nv, vl] = checkBank(bank, K);
  for (const [t, name] of [
    [logitsA, 'logitsA'],
    [logitsB, 'logitsB'],
    [gradA, 'gradA'],
    [gradB, 'gradB'],
  ] as const) {
    requireF32(t, name, K);
  }
  requireShape(logitsA, [null, null, nv], ['r', 'in_t', 'nv'], 'logitsA', K);
  const [r, inT] = logitsA.shape as [number, number];
  requireShape(logitsB, [null, r, nv], ['out_t', 'r', 'nv'], 'logitsB', K);
  const outT = logitsB.shape[0]!;
  requireShape(gradA, [r, inT * vl], ['r', 'in'], 'gradA', K);
  requireShape(gradB, [outT * vl, r], ['out', 'r'], 'gradB', K);
  requireK(k, nv, K);
  return { nv, vl, k, r, inT, outT };
}

/**
 * Gradients of `topkAdmixture(...).vectors` w.r.t. logits and bank, given dL/dvectors.
 * @throws {ShapeError} on wrong dtypes or shapes, or k outside 1..nv.
 */
export function admixtureBackward(args: AdmixtureBackwardArgs): AdmixtureGrads {
  const { logits, bank, k, gradVectors } = args;
  const { nv, vl, rows } = checkAdmixtureBackwardArgs(args);
  const gradBank = new Float64Array(nv * vl);
  const gl = backwardRows(logits.data, rows, nv, k, bank.data, vl, Float64Array.from(gradVectors.data), gradBank);
  return {
    gradLogits: tensor('f32', logits.shape, gl),
    gradBank: tensor('f32', [nv, vl], Float32Array.from(gradBank)),
  };
}

/**
 * Gradients of `composeLowRank` w.r.t. logits A, logits B and the shared bank, given dL/dA (r, in) and dL/dB (out, r).
 * @throws {ShapeError} on wrong dtypes or shapes, or k outside 1..nv.
 */
export function composeBackward(args: ComposeBackwardArgs): ComposeGrads {
  const { logitsA, logitsB, bank, k, gradA, gradB } = args;
  const { nv, vl, r, inT, outT } = checkComposeBackwardArgs(args);
  // dL/dS_A (r, in_t, vl) is gradA reshaped; dL/dS_B[t, i, c] = gradB[t·vl + c, i]
  const gA = Float64Array.from(gradA.data);
  const gB = new Float64Array(outT * r * vl);
  for (let t = 0; t < outT; t++) {
    for (let i = 0; i < r; i++) {
      for (let c = 0; c < vl; c++) gB[(t * r + i) * vl + c] = gradB.data[(t * vl + c) * r + i]!;
    }
  }
  const gradBank = new Float64Array(nv * vl);
  const glA = backwardRows(logitsA.data, r * inT, nv, k, bank.data, vl, gA, gradBank);
  const glB = backwardRows(logitsB.data, outT * r, nv, k, bank.data, vl, gB, gradBank);
  return {
    gradLogitsA: tensor('f32', logitsA.shape, glA),
    gradLogitsB: tensor('f32', logitsB.shape, glB),
    gradBank: tensor('f32', [nv, vl], Float32Array.from(gradBank)),
  };
}
