import type { VBLoRAAdapter } from '../adapter/vblora-adapter.js';
import { formatShape, toF32, type HostTensor } from '../tensor/index.js';
import { BANK_KEY } from './adapter-keys.js';

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

/** A non-finite value in an adapter's bank, logits or stored top-k weights, where the loader reports it. */
export interface AdapterNonFinite {
  /** The bank's key, or `<module path>.vblora_logits_A` / `_B` (with `_topk_weights` for a top-k factor). */
  readonly tensor: string;
  /** Index of the first NaN/±Inf element, or (kind `row`) of the logits row that holds only −inf. */
  readonly index: number[];
  /** The value found (−Infinity for a row). */
  readonly value: number;
  /** `value`: a NaN/±Inf element (−inf is legal in logits); `row`: a logits row with no finite entry. */
  readonly kind: 'value' | 'row';
}

function* floatTensors(
  adapter: Pick<VBLoRAAdapter, 'bank' | 'modules'>,
): Generator<readonly [string, HostTensor, boolean]> {
  yield [BANK_KEY, adapter.bank, false];
  for (const m of adapter.modules.values()) {
    for (const [f, factor] of [
      ['A', m.a],
      ['B', m.b],
    ] as const) {
      const t = factor.kind === 'logits' ? factor.logits : factor.weights;
      yield [
        `${m.path}.vblora_logits_${f}${factor.kind === 'topk' ? '_topk_weights' : ''}`,
        t,
        factor.kind === 'logits',
      ];
    }
  }
}

/**
 * Every tensor of an adapter that would compose to NaN: the first NaN/±Inf of the bank, of each logits tensor
 * (−inf excepted: it is legal there) and of each stored top-k weight tensor, and the first logits row of only
 * −inf. Empty when the adapter is finite. One pass over the adapter's float tensors.
 */
export function findAdapterNonFinite(adapter: Pick<VBLoRAAdapter, 'bank' | 'modules'>): AdapterNonFinite[] {
  const found: AdapterNonFinite[] = [];
  for (const [tensor, t, isLogits] of floatTensors(adapter)) {
    const bad = findNonFinite(t, { allowNegInf: isLogits });
    if (bad !== null) {
      found.push({ tensor, index: bad.index, value: bad.value, kind: 'value' });
      continue;
    }
    const row = isLogits ? findNegInfRow(t) : null;
    if (row !== null) found.push({ tensor, index: row, value: -Infinity, kind: 'row' });
  }
  return found;
}

/** The loader's warning text for a {@link findAdapterNonFinite} finding. */
export function nonFiniteText(f: AdapterNonFinite): string {
  return f.kind === 'value'
    ? `non-finite value ${f.value} in ${f.tensor} at ${formatShape(f.index)}`
    : `${f.tensor} row ${formatShape(f.index)} has no finite logit (all −inf): it composes to NaN`;
}
