/**
 * Kernel `composeLowRank`: a layer's A (r, in) and B (out, r) from its logits (or top-k form) and the vector bank,
 * with PEFT's asymmetric layouts (SPEC §4.2): A is rank-major, B is tile-major.
 * @module
 */
import { ShapeError } from '../errors.js';
import { formatShape, tensor } from '../tensor/host-tensor.js';
import {
  isHostTensor,
  readIndices,
  requireF32,
  requireInt,
  requireK,
  requireLastDim,
  requireSameShape,
  requireShape,
  type TensorInfo,
} from './check.js';
import { BF16_TOL, F16_TOL, F32_TOL, type KernelContract } from './contract.js';
import { mix, selectAndWeigh } from './topk-admixture.js';
import type { HostTensors, IndexTensorOf, TensorFamily, TensorOf } from './tensor-family.js';

/** The top-k form of a logits tensor: indices and all k weights (e.g. from `safeTopkWeights`). */
export interface TopkForm<F extends TensorFamily = HostTensors> {
  /** (..., k) bank indices, any integer dtype. */
  readonly indices: IndexTensorOf<F>;
  /** (..., k) float32 weights. */
  readonly weights: TensorOf<F, 'f32'>;
}

/** Dense float32 logits or their top-k form. */
export type LogitsSource<F extends TensorFamily = HostTensors> = TensorOf<F, 'f32'> | TopkForm<F>;

/** Arguments of {@link composeLowRank}. */
export interface ComposeLowRankArgs<F extends TensorFamily = HostTensors> {
  /** (r, in_t, nv) logits, or top-k form (r, in_t, k). */
  readonly logitsA: LogitsSource<F>;
  /** (out_t, r, nv) logits, or top-k form (out_t, r, k). */
  readonly logitsB: LogitsSource<F>;
  /** (nv, vl) float32 vector bank. */
  readonly bank: TensorOf<F, 'f32'>;
  /** Top-k; must equal the last dim of a top-k form. */
  readonly k: number;
  /**
   * Where the result may go: float32 A (r, in) and B (out, r) of the result's shapes. A kernel that honours it
   * writes into these and returns them; one that does not returns new tensors (callers such as `composeAdapter`
   * then copy).
   */
  readonly out?: LowRankPair<F>;
}

/** Result of {@link composeLowRank}. */
export interface LowRankPair<F extends TensorFamily = HostTensors> {
  /** (r, in) with A[i, t·vl + c] = S_A[i, t, c]. */
  readonly A: TensorOf<F, 'f32'>;
  /** (out, r) with B[t·vl + c, i] = S_B[t, i, c]. */
  readonly B: TensorOf<F, 'f32'>;
}

/** Contract of {@link composeLowRank}. */
export const COMPOSE_LOW_RANK_CONTRACT: KernelContract<'composeLowRank'> = {
  name: 'composeLowRank',
  summary: 'A (r, in) and B (out, r) of one layer from logits A/B (or top-k forms) and the bank.',
  inputs: [
    {
      name: 'logitsA',
      dtype: 'f32 | {indices:int, weights:f32}',
      shape: '(r, in_t, nv) | (r, in_t, k)',
      doc: 'A logits',
    },
    {
      name: 'logitsB',
      dtype: 'f32 | {indices:int, weights:f32}',
      shape: '(out_t, r, nv) | (out_t, r, k)',
      doc: 'B logits',
    },
    { name: 'bank', dtype: 'f32', shape: '(nv, vl)', doc: 'vector bank' },
  ],
  attributes: [{ name: 'k', type: 'integer, 1 ≤ k ≤ nv', doc: 'top-k' }],
  outputs: [
    { name: 'A', dtype: 'f32', shape: '(r, in_t·vl)', doc: 'rank-major' },
    { name: 'B', dtype: 'f32', shape: '(out_t·vl, r)', doc: 'tile-major, transposed' },
  ],
  accuracy: { f32: { A: F32_TOL, B: F32_TOL }, bf16: { A: BF16_TOL, B: BF16_TOL }, f16: { A: F16_TOL, B: F16_TOL } },
  accuracyNote: 'Unit-scale data (|bank| ≤ 1, |logits| ≤ 30), rows without ties at the k-th logit.',
};

/** True for the top-k form of a logits source (dense logits are a tensor, a top-k form holds `indices`). */
export function isTopk<S extends TensorInfo, F extends { readonly indices: TensorInfo }>(src: S | F): src is F {
  return 'indices' in src;
}

/** A logits source as the checks see it: a tensor, or a top-k form of two tensors. */
export type LogitsSourceInfo = TensorInfo | { readonly indices: TensorInfo; readonly weights: TensorInfo };

/** Sizes read from valid {@link composeLowRank} arguments. */
export interface ComposeLowRankDims {
  readonly nv: number;
  readonly vl: number;
  readonly k: number;
  readonly r: number;
  /** in / vl: logitsA is (r, in_t, ·). */
  readonly inT: number;
  /** out / vl: logitsB is (out_t, r, ·). */
  readonly outT: number;
  /** The int32 indices of a top-k form on the host, read and range-checked (undefined for dense logits). */
  readonly indicesA: Int32Array | undefined;
  readonly indicesB: Int32Array | undefined;
}

/** Checks one logits source; returns its 3-D shape and, for a top-k form on the host, its int32 indices. */
function checkSource(
  src: LogitsSourceInfo,
  nv: number,
  k: number,
  arg: string,
  layout: string,
): { shape: readonly number[]; indices: Int32Array | undefined } {
  const K = 'composeLowRank';
  const shape = isTopk(src) ? src.indices.shape : src.shape;
  if (shape.length !== 3)
    throw new ShapeError(`${K}: ${arg} must have shape ${layout}, got ${formatShape(shape)}`, arg);
  if (!isTopk(src)) {
    requireF32(src, arg, K);
    requireLastDim(src, nv, 'nv', arg, K);
    return { shape, indices: undefined };
  }
  if (shape[2] !== k) {
    throw new ShapeError(
      `${K}: ${arg} top-k form has k = ${shape[2]} in ${formatShape(shape)}, but k = ${k} was given`,
      arg,
    );
  }
  requireF32(src.weights, `${arg}.weights`, K);
  requireSameShape(src.weights, src.indices, `${arg}.weights`, `${arg}.indices`, K);
  if (!isHostTensor(src.indices)) {
    requireInt(src.indices, `${arg}.indices`, K);
    return { shape, indices: undefined };
  }
  return { shape, indices: readIndices(src.indices, nv, `${arg}.indices`, K) };
}

/**
 * Checks {@link composeLowRank}'s arguments: the rules and messages every backend gives — the bank, k, then each
 * source (dense logits, or a top-k form whose host indices are read and range-checked), then their common rank.
 * @throws {ShapeError} on wrong layouts, mismatched ranks, k outside 1..nv or indices outside [0, nv).
 */
export function checkComposeLowRankArgs(args: {
  readonly logitsA: LogitsSourceInfo;
  readonly logitsB: LogitsSourceInfo;
  readonly bank: TensorInfo;
  readonly k: number;
}): ComposeLowRankDims {
  const { logitsA, logitsB, bank, k } = args;
  const K = 'composeLowRank';
  requireF32(bank, 'bank', K);
  requireShape(bank, [null, null], ['nv', 'vl'], 'bank', K);
  const [nv, vl] = bank.shape as [number, number];
  requireK(k, nv, K);
  const a = checkSource(logitsA, nv, k, 'logitsA', '(r, in_t, nv)');
  const b = checkSource(logitsB, nv, k, 'logitsB', '(out_t, r, nv)');
  const [r, inT] = a.shape as [number, number];
  const [outT, rB] = b.shape as [number, number];
  if (rB !== r) {
    throw new ShapeError(
      `${K}: logitsB ${formatShape(b.shape.slice(0, 2))} must have r = ${r} as its second dim (from logitsA)`,
      'logitsB',
    );
  }
  return { nv, vl, k, r, inT, outT, indicesA: a.indices, indicesB: b.indices };
}

/** Sub-vectors S (rows, vl) of a checked logits source (dense logits, or a top-k form with its read indices). */
function subVectors(
  src: LogitsSource,
  indices: Int32Array | undefined,
  rows: number,
  d: ComposeLowRankDims,
  bank: Float32Array,
): Float32Array {
  if (isTopk(src)) return mix(indices!, src.weights.data, rows, d.k, bank, d.vl);
  const { idx, w } = selectAndWeigh(src.data, rows, d.nv, d.k);
  return mix(idx, w, rows, d.k, bank, d.vl);
}

/**
 * Composes a layer's low-rank matrices: A = S(logitsA).reshape(r, in), B = S(logitsB).transpose(1, 2).reshape(out, r).
 * @throws {ShapeError} on wrong layouts, mismatched ranks, k outside 1..nv or indices outside [0, nv).
 * @example
 * ```ts
 * const { A, B } = composeLowRank({ logitsA, logitsB, bank, k: 2 });
 * ```
 */
export function composeLowRank(args: ComposeLowRankArgs): LowRankPair {
  const { logitsA, logitsB, bank } = args;
  const d = checkComposeLowRankArgs(args);
  const { r, inT, outT, vl } = d;
  const sA = subVectors(logitsA, d.indicesA, r * inT, d, bank.data); // (r, in_t, vl)
  const sB = subVectors(logitsB, d.indicesB, outT * r, d, bank.data); // (out_t, r, vl)
  // A: (r, in_t, vl) -> (r, in_t·vl), a plain reshape (C order already matches)
  const A = tensor('f32', [r, inT * vl], sA);
  // B: (out_t, r, vl) -> (out_t, vl, r) -> (out_t·vl, r)
  const b = new Float32Array(outT * vl * r);
  for (let t = 0; t < outT; t++) {
    for (let i = 0; i < r; i++) {
      for (let c = 0; c < vl; c++) b[(t * vl + c) * r + i] = sB[(t * r + i) * vl + c]!;
    }
  }
  return { A, B: tensor('f32', [outT * vl, r], b) };
}
