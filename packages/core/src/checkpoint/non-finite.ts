import { toF32, type HostTensor } from '../tensor/index.js';

/** Where the first non-finite element of a tensor sits. */
export interface NonFiniteHit {
  /** Multi-dimensional index of the element. */
  readonly index: number[];
  readonly value: number;
}

/** Converts a flat C-order offset into a multi-dimensional index. */
export function unravelIndex(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    index[d] = n === 0 ? 0 : flat % n;
    flat = n === 0 ? 0 : Math.floor(flat / n);
  }
  return index;
}

/**
 * Finds the first NaN or ±Inf of a float tensor; `allowNegInf` accepts `-inf` (logits rebuilt from a top-k
 * checkpoint hold it by design). Returns null when every element is acceptable.
 */
export function findNonFinite(t: HostTensor, options: { allowNegInf?: boolean } = {}): NonFiniteHit | null {
  if (t.dtype !== 'f32' && t.dtype !== 'bf16' && t.dtype !== 'f16' && t.dtype !== 'f64') return null;
  const data = toF32(t).data;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (Number.isFinite(v) || (options.allowNegInf === true && v === -Infinity)) continue;
    return { index: unravelIndex(i, t.shape), value: v };
  }
  return null;
}

/**
 * Finds the first row (over the leading dims of a `(…, nv)` logits tensor) whose entries are all −inf: such a
 * row has no top-k softmax, so it composes to NaN. Returns its index, or null.
 */
export function findNegInfRow(t: HostTensor): number[] | null {
  const nv = t.shape[t.shape.length - 1];
  if (nv === undefined || nv === 0) return null;
  const data = toF32(t).data;
  for (let row = 0; row < data.length / nv; row++) {
    let all = true;
    for (let j = 0; j < nv && all; j++) all = data[row * nv + j] === -Infinity;
    if (all) return unravelIndex(row, t.shape.slice(0, -1));
  }
  return null;
}
