/**
 * Kernel `composeLowRank`: a layer's A (r, in) and B (out, r) from its logits (or top-k form) and the vector bank,
 * with PEFT's asymmetric layouts (SPEC §4.2): A is rank-major, B is tile-major.
 * @module
 */
import { ShapeError } from '../errors.js';
import { formatShape, tensor, type HostTensor } from '../tensor/host-tensor.js';
import { requireF32 } from './check.js';
import { BF16_TOL, F16_TOL, F32_TOL, type KernelContract } from './contract.js';
import { admixFromTopk, topkAdmixture } from './topk-admixture.js';

/** The top-k form of a logits tensor: indices and all k weights (e.g. from `safeTopkWeights`). */
export interface TopkForm {
  /** (..., k) bank indices, any integer dtype. */
  readonly indices: HostTensor;
  /** (..., k) float32 weights. */
  readonly weights: HostTensor<'f32'>;
}

/** Dense float32 logits or their top-k form. */
export type LogitsSource = HostTensor<'f32'> | TopkForm;

/** Arguments of {@link composeLowRank}. */
export interface ComposeLowRankArgs {
  /** (r, in_t, nv) logits, or top-k form (r, in_t, k). */
  readonly logitsA: LogitsSource;
  /** (out_t, r, nv) logits, or top-k form (out_t, r, k). */
  readonly logitsB: LogitsSource;
  /** (nv, vl) float32 vector bank. */
  readonly bank: HostTensor<'f32'>;
  /** Top-k; must equal the last dim of a top-k form. */
  readonly k: number;
  /**
   * Where the result may go: float32 A (r, in) and B (out, r) of the result's shapes. A kernel that honours it
   * writes into these and returns them; one that does not returns new tensors (callers such as `composeAdapter`
   * then copy).
   */
  readonly out?: LowRankPair;
}

/** Result of {@link composeLowRank}. */
export interface LowRankPair {
  /** (r, in) with A[i, t·vl + c] = S_A[i, t, c]. */
  readonly A: HostTensor<'f32'>;
  /** (out, r) with B[t·vl + c, i] = S_B[t, i, c]. */
  readonly B: HostTensor<'f32'>;
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

/** True for the top-k form of a logits source. @internal */
export function isTopk(src: LogitsSource): src is TopkForm {
  return 'indices' in src;
}

/**
 * The 3-D shape of a logits source (dense logits or top-k form), checking its rank and, for a top-k form, its k.
 * @internal
 */
export function sourceShape(src: LogitsSource, k: number, arg: string, layout: string): readonly number[] {
  const shape = isTopk(src) ? src.indices.shape : src.shape;
  if (shape.length !== 3) {
    throw new ShapeError(`composeLowRank: ${arg} must have shape ${layout}, got ${formatShape(shape)}`, arg);
  }
  if (isTopk(src) && shape[2] !== k) {
    throw new ShapeError(
      `composeLowRank: ${arg} top-k form has k = ${shape[2]} in ${formatShape(shape)}, but k = ${k} was given`,
      arg
    );
  }
  return shape;
}

/** Sub-vectors S (..., vl) of a logits source (dense logits or top-k form). */
function subVectors(
  src: LogitsSource,
  bank: HostTensor<'f32'>,
  k: number,
  arg: string,
  layout: string
): HostTensor<'f32'> {
  sourceShape(src, k, arg, layout);
  if (isTopk(src)) return admixFromTopk({ indices: src.indices, weights: src.weights, bank });
  requireF32(src, arg, 'composeLowRank');
  return topkAdmixture({ logits: src, bank, k }).vectors;
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
  const { logitsA, logitsB, bank, k } = args;
  const sA = subVectors(logitsA, bank, k, 'logitsA', '(r, in_t, nv)'); // (r, in_t, vl)
  const sB = subVectors(logitsB, bank, k, 'logitsB', '(out_t, r, nv)'); // (out_t, r, vl)
  const [r, inT, vl] = sA.shape as [number, number, number];
  const [outT, rB] = sB.shape as [number, number, number];
  if (rB !== r) {
    throw new ShapeError(
      `composeLowRank: logitsB ${formatShape(
        sB.shape.slice(0, 2)
      )} must have r = ${r} as its second dim (from logitsA)`,
      'logitsB'
    );
  }
  // A: (r, in_t, vl) -> (r, in_t·vl), a plain reshape (C order already matches)
  const A = tensor('f32', [r, inT * vl], sA.data);
  // B: (out_t, r, vl) -> (out_t, vl, r) -> (out_t·vl, r)
  const b = new Float32Array(outT * vl * r);
  for (let t = 0; t < outT; t++) {
    for (let i = 0; i < r; i++) {
      for (let c = 0; c < vl; c++) b[(t * vl + c) * r + i] = sB.data[(t * r + i) * vl + c]!;
    }
  }
  return { A, B: tensor('f32', [outT * vl, r], b) };
}
