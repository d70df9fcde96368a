/**
 * Stacking the adapters of one run into the injected model's inputs: dimension 0 is the adapter slot, ranks and
 * top-k counts are padded with zeros to the largest of the run, banks are concatenated with shifted indices. A
 * null slot (rows without adapter) is all zeros, which leaves the base output unchanged.
 * @module
 */
import { UnsupportedError } from '@vblora/core';
import type { InjectedModule, InjectionInfo } from '../inject/injection-info.js';
import type { PreparedAdapter } from './prepared-adapter.js';

/** One graph input's data: a typed array and its dims. */
export interface FeedData {
  readonly type: 'float32' | 'int32' | 'int64' | 'float16';
  readonly data: Float32Array | Int32Array | BigInt64Array | Uint16Array;
  readonly dims: readonly number[];
}

/**
 * Bytes {@link stackFeeds} allocates for these slots (every module's inputs, stacked and padded), computed from
 * the injection description before anything is allocated. A single adapter (either variant) is fed from its prepared
 * arrays without copying, but is counted too (an upper bound).
 */
export function stackedFeedBytes(info: InjectionInfo, slots: readonly (PreparedAdapter | null)[]): number {
  const real = slots.filter((s): s is PreparedAdapter => s !== null);
  const n = slots.length;
  const r = Math.max(1, ...real.map((s) => s.r));
  let total = 0;
  if (info.variant === 'static') return 0;
  if (info.variant === 'lowrank') {
    for (const m of info.modules) total += 4 * n * r * (m.inFeatures + m.outFeatures);
    return total;
  }
  const vl = real[0]?.vl ?? 1;
  const k = Math.max(1, ...real.map((s) => s.k));
  total +=
    4 *
    Math.max(
      1,
      real.reduce((a, s) => a + s.nv, 0),
    ) *
    vl;
  for (const m of info.modules) total += 2 * 4 * n * r * k * ((m.inFeatures + m.outFeatures) / vl);
  return total;
}

/**
 * Inputs of the VB-LoRA branches for a list of adapter slots (row → slot mapping excluded).
 * @throws {UnsupportedError} for a `static` model, which takes no adapter feeds.
 */
export function stackFeeds(info: InjectionInfo, slots: readonly (PreparedAdapter | null)[]): Map<string, FeedData> {
  if (info.variant === 'static')
    throw new UnsupportedError('this model has its adapter built in (static variant): it takes no adapter feeds');
  const feeds = new Map<string, FeedData>();
  const real = slots.filter((s): s is PreparedAdapter => s !== null);
  if (info.variant === 'lowrank') {
    const r = Math.max(1, ...real.map((s) => s.r));
    // every stacked A and B of the run are views of one array: one allocation per run, not two per module
    let floats = 0;
    for (const m of info.modules)
      if (needsCopy(m, slots, r)) floats += slots.length * r * (m.inFeatures + m.outFeatures);
    const arena = { data: new Float32Array(floats), at: 0 };
    for (const m of info.modules) stackLowRank(m, slots, r, feeds, arena);
  } else {
    stackTopk(info, slots, real, feeds);
  }
  return feeds;
}

/** A module of a `lowrank` run whose inputs are stacked copies (not one adapter's own arrays). */
function needsCopy(m: InjectedModule, slots: readonly (PreparedAdapter | null)[], r: number): boolean {
  if (!('A' in m.inputs)) return false;
  return !(slots.length === 1 && slots[0]?.lowRank.get(m.path) !== undefined && slots[0].r === r);
}

/** Consecutive views of one zeroed array. */
interface Arena {
  readonly data: Float32Array;
  at: number;
}

const take = (arena: Arena, n: number): Float32Array => arena.data.subarray(arena.at, (arena.at += n));

function stackLowRank(
  m: InjectedModule,
  slots: readonly (PreparedAdapter | null)[],
  r: number,
  feeds: Map<string, FeedData>,
  arena: Arena,
): void {
  if (!('A' in m.inputs)) return;
  const { inFeatures: inF, outFeatures: outF } = m;
  const n = slots.length;
  if (!needsCopy(m, slots, r)) {
    const only = slots[0]!.lowRank.get(m.path)!;
    feeds.set(m.inputs.A, { type: 'float32', data: only.A, dims: [1, r, inF] }); // no copy: the common case
    feeds.set(m.inputs.B, { type: 'float32', data: only.B, dims: [1, outF, r] });
    return;
  }
  const A = take(arena, n * r * inF); // (n, r, in)
  const B = take(arena, n * outF * r); // (n, out, r)
  slots.forEach((s, j) => {
    const f = s?.lowRank.get(m.path);
    if (s === null || f === undefined) return;
    A.set(f.A, j * r * inF);
    const at = j * outF * r;
    if (s.r === r) {
      B.set(f.B, at); // same rank: (out, r) rows are already laid out as the run's
      return;
    }
    // rows of r ≤ a few dozen floats: a plain loop beats one subarray per row
    for (let o = 0; o < outF; o++) for (let i = 0; i < s.r; i++) B[at + o * r + i] = f.B[o * s.r + i]!;
  });
  feeds.set(m.inputs.A, { type: 'float32', data: A, dims: [n, r, inF] });
  feeds.set(m.inputs.B, { type: 'float32', data: B, dims: [n, outF, r] });
}

function stackTopk(
  info: InjectionInfo,
  slots: readonly (PreparedAdapter | null)[],
  real: PreparedAdapter[],
  feeds: Map<string, FeedData>,
): void {
  const vls = new Set(real.map((s) => s.vl));
  if (vls.size > 1) {
    throw new UnsupportedError(
      `adapters ${real.map((s) => `${s.name} (vector_length ${s.vl})`).join(', ')} cannot share one run of a topk-injected ` +
        'model: their vector lengths differ; run them separately or inject the lowrank variant',
    );
  }
  const vl = real[0]?.vl ?? 1; // base-only run: any length dividing every width works, 1 always does
  const r = Math.max(1, ...real.map((s) => s.r));
  const k = Math.max(1, ...real.map((s) => s.k));
  const n = slots.length;
  const offsets = slots.map(() => 0);
  let nv = 0;
  slots.forEach((s, j) => {
    offsets[j] = nv;
    nv += s?.nv ?? 0;
  });
  // one adapter for the whole run (a switch to it): its prepared arrays are fed as they are, like lowrank's
  const only = n === 1 && slots[0] !== null ? slots[0]! : null;
  const bank = only !== null && only.bank.length > 0 ? only.bank : new Float32Array(Math.max(nv, 1) * vl);
  if (bank !== only?.bank) slots.forEach((s, j) => s !== null && bank.set(s.bank, offsets[j]! * vl));
  feeds.set(info.bankInput!, { type: 'float32', data: bank, dims: [Math.max(nv, 1), vl] });
  for (const m of info.modules) {
    if (!('aIndices' in m.inputs)) continue;
    const inT = m.inFeatures / vl;
    const outT = m.outFeatures / vl;
    const own = only?.topk.get(m.path);
    if (own !== undefined) {
      feeds.set(m.inputs.aIndices, { type: 'int32', data: own.aIndices, dims: [1, r, inT, k] });
      feeds.set(m.inputs.aWeights, { type: 'float32', data: own.aWeights, dims: [1, r, inT, k] });
      feeds.set(m.inputs.bIndices, { type: 'int32', data: own.bIndices, dims: [1, outT, r, k] });
      feeds.set(m.inputs.bWeights, { type: 'float32', data: own.bWeights, dims: [1, outT, r, k] });
      continue;
    }
    const side = (
      rows: number,
      cols: number,
      pick: (s: PreparedAdapter) => [Int32Array, Float32Array] | null,
      rIsRow: boolean,
    ) => {
      const idx = new Int32Array(n * rows * cols * k);
      const w = new Float32Array(n * rows * cols * k);
      slots.forEach((s, j) => {
        const got = s === null ? null : pick(s);
        if (s === null || got === null) return;
        const [si, sw] = got;
        const [sr, sc] = rIsRow ? [s.r, cols] : [rows, s.r];
        for (let a = 0; a < sr; a++) {
          for (let b = 0; b < sc; b++) {
            for (let q = 0; q < s.k; q++) {
              const from = (a * sc + b) * s.k + q;
              const to = ((j * rows + a) * cols + b) * k + q;
              idx[to] = si[from]! + offsets[j]!;
              w[to] = sw[from]!;
            }
          }
        }
      });
      return { idx, w, dims: [n, rows, cols, k] };
    };
    const a = side(
      r,
      inT,
      (s) => {
        const f = s.topk.get(m.path);
        return f === undefined ? null : [f.aIndices, f.aWeights];
      },
      true,
    );
    const b = side(
      outT,
      r,
      (s) => {
        const f = s.topk.get(m.path);
        return f === undefined ? null : [f.bIndices, f.bWeights];
      },
      false,
    );
    feeds.set(m.inputs.aIndices, { type: 'int32', data: a.idx, dims: a.dims });
    feeds.set(m.inputs.aWeights, { type: 'float32', data: a.w, dims: a.dims });
    feeds.set(m.inputs.bIndices, { type: 'int32', data: b.idx, dims: b.dims });
    feeds.set(m.inputs.bWeights, { type: 'float32', data: b.w, dims: b.dims });
  }
}
