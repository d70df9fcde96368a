/**
 * An adapter made ready for an injected model: per module, composed A/B (`lowrank` variant) or top-k indices and
 * weights with the bank (`topk` variant), plus the tensors it overrides — computed once, fed on every run.
 * @module
 */
import {
  AdapterError,
  composeAdapter,
  UnsupportedError,
  ShapeError,
  referenceBackend,
  reloadTopkWeights,
  requireKernel,
  toF32,
  type Backend,
  type Factor,
  type HostTensor,
  type LowRankPair,
  type VBLoRAAdapter,
  baseKeyOfExtra,
} from '@vblora/core';
import { castFloat } from '../host/cast-float.js';
import { transpose2d } from '../host/transpose-2d.js';
import type { InjectionInfo } from '../inject/injection-info.js';

/** Composed A (r, in) and B (out, r) of one module. */
export interface LowRankFeed {
  readonly A: Float32Array;
  readonly B: Float32Array;
}

/** Top-k form of one module: indices and weights of A (r, in_t, k) and B (out_t, r, k). */
export interface TopkFeed {
  readonly aIndices: Int32Array;
  readonly aWeights: Float32Array;
  readonly bIndices: Int32Array;
  readonly bWeights: Float32Array;
}

/** An adapter ready to be fed to an injected model. */
export interface PreparedAdapter {
  readonly name: string;
  readonly r: number;
  readonly k: number;
  readonly nv: number;
  readonly vl: number;
  /** (nv, vl) float32 bank (`topk` variant only; empty otherwise). */
  readonly bank: Float32Array;
  /** Per injected module; absent modules contribute nothing (zeros). */
  readonly lowRank: ReadonlyMap<string, LowRankFeed>;
  readonly topk: ReadonlyMap<string, TopkFeed>;
  /** Override input name → data (f32 Float32Array or f16 Uint16Array, in the graph's layout). */
  readonly overrides: ReadonlyMap<string, HostTensor>;
}

const lastDim = (shape: readonly number[]): number => shape[shape.length - 1] ?? 1;

async function topkFeed(
  f: Factor,
  bank: HostTensor<'f32'>,
  k: number,
  backend: Backend,
): Promise<{ idx: Int32Array; w: Float32Array }> {
  if (f.kind === 'topk') {
    const { indices, weights } = reloadTopkWeights(f.indices, toF32(f.weights), k);
    return { idx: indices.data, w: weights.data };
  }
  const { indices, weights } = await requireKernel(backend, 'topkAdmixture')({ logits: toF32(f.logits), bank, k });
  return { idx: Int32Array.from(indices.data), w: Float32Array.from(weights.data) };
}

/**
 * {@link topkFeed} of many factors. The stored top-k ones are reloaded in one pass over their rows laid end to end
 * (a 7B adapter has 448 small factors: one call instead of 448 keeps a switch to a new adapter within a few ms);
 * each factor's result is a view of that pass's arrays. A stored weight out of range is reported by re-running its
 * factor alone, so the error names the factor's own row.
 */
async function topkFeeds(
  factors: readonly Factor[],
  bank: HostTensor<'f32'>,
  k: number,
  backend: Backend,
): Promise<{ idx: Int32Array; w: Float32Array }[]> {
  // factors laid end to end: stored top-k with k ≥ 2 whose indices (…, k) and weights (…, k − 1) agree; the rest one by one
  const joins = (f: Factor): f is Extract<Factor, { kind: 'topk' }> =>
    f.kind === 'topk' &&
    k >= 2 &&
    lastDim(f.indices.shape) === k &&
    f.weights.data.length * k === f.indices.data.length * (k - 1);
  const stored = factors.filter(joins);
  const rows = stored.reduce((n, f) => n + f.indices.data.length / k, 0);
  const idx = new Int32Array(rows * k);
  const w = new Float32Array(rows * (k - 1));
  let at = 0;
  for (const f of stored) {
    const n = f.indices.data.length / k;
    const data = f.indices.data;
    if (data instanceof BigInt64Array || data instanceof BigUint64Array)
      for (let i = 0; i < data.length; i++) idx[at * k + i] = Number(data[i]!);
    else idx.set(data as ArrayLike<number>, at * k);
    w.set(toF32(f.weights).data, at * (k - 1));
    at += n;
  }
  let all: { indices: HostTensor<'i32'>; weights: HostTensor<'f32'> };
  try {
    all = reloadTopkWeights(
      { dtype: 'i32', shape: [rows, k], data: idx } as HostTensor,
      { dtype: 'f32', shape: [rows, k - 1], data: w } as HostTensor<'f32'>,
      k,
    );
  } catch (err) {
    for (const f of stored) await topkFeed(f, bank, k, backend); // throws for the factor at fault
    throw err;
  }
  const out: { idx: Int32Array; w: Float32Array }[] = [];
  at = 0;
  for (const f of factors) {
    if (!joins(f)) {
      out.push(await topkFeed(f, bank, k, backend));
      continue;
    }
    const n = f.indices.data.length;
    out.push({ idx: all.indices.data.subarray(at, at + n), w: all.weights.data.subarray(at, at + n) });
    at += n;
  }
  return out;
}

/**
 * Checks that an adapter fits an injected model: every module it adapts has a branch of the same size, and every
 * tensor it replaces (trained biases, modules_to_save copies) is one the model can override.
 * @throws {AdapterError} when the adapter adapts a module the model has no branch for, or carries a tensor the
 * model cannot override.
 * @throws {ShapeError} when a module's size differs from the model's branch.
 * @throws {UnsupportedError} for a `static` model, which takes no adapter feeds.
 */
export function checkAdapterFits(info: InjectionInfo, name: string, adapter: VBLoRAAdapter): void {
  if (info.variant === 'static')
    throw new UnsupportedError('this model has its adapter built in (static variant): it takes no adapter feeds');
  const injected = new Set(info.modules.map((m) => m.path));
  const missing = [...adapter.modules.keys()].filter((p) => !injected.has(p));
  if (missing.length > 0) {
    throw new AdapterError(
      `adapter ${name} adapts ${missing.length} module(s) the model has no VB-LoRA branch for (first: ${missing[0]}); ` +
        `inject them first (injected: ${[...injected].slice(0, 3).join(', ')}${injected.size > 3 ? ', …' : ''})`,
      missing[0],
    );
  }
  for (const m of info.modules) {
    const a = adapter.modules.get(m.path);
    if (a !== undefined && (a.inFeatures !== m.inFeatures || a.outFeatures !== m.outFeatures)) {
      throw new ShapeError(
        `adapter ${name}: module ${m.path} is ${a.outFeatures}×${a.inFeatures} (out×in), the model's branch is ` +
          `${m.outFeatures}×${m.inFeatures}`,
        m.path,
      );
    }
  }
  for (const key of adapter.extraTensors.keys()) {
    const base = baseKeyOfExtra(key);
    if (!info.overrides.some((o) => o.key === base)) {
      throw new AdapterError(
        `adapter ${name} carries ${key}, but the model cannot override ${base}; inject with overridable: ['${base}']`,
        base,
      );
    }
  }
}

/** Options of {@link prepareAdapter}. */
export interface PrepareAdapterOptions {
  /**
   * `lowrank` variant: compose into these float32 pairs (from core's `allocatePairs` for an adapter of the same
   * shapes) instead of new arrays; the prepared A/B are then views of `into`'s arrays.
   */
  readonly into?: ReadonlyMap<string, LowRankPair>;
}

/**
 * Prepares an adapter for an injected model.
 * @throws {AdapterError} when the adapter adapts a module the model has no branch for, or carries a tensor the
 * model cannot override.
 * @throws {ShapeError} when a module's size differs from the model's branch.
 * @throws {UnsupportedError} for a `static` model, which takes no adapter feeds.
 */
export async function prepareAdapter(
  info: InjectionInfo,
  name: string,
  adapter: VBLoRAAdapter,
  backend: Backend = referenceBackend,
  options: PrepareAdapterOptions = {},
): Promise<PreparedAdapter> {
  checkAdapterFits(info, name, adapter);
  const c = adapter.config;
  const lowRank = new Map<string, LowRankFeed>();
  const topk = new Map<string, TopkFeed>();
  const bank = toF32(adapter.bank);
  if (info.variant === 'lowrank') {
    const into = options.into === undefined ? {} : { into: options.into };
    for (const [path, { A, B }] of await composeAdapter(adapter, { backend, ...into }))
      lowRank.set(path, { A: A.data, B: B.data });
  } else {
    const factors = [...adapter.modules.values()].flatMap((m) => [m.a, m.b]);
    const fed = await topkFeeds(factors, bank, c.topk, backend);
    let i = 0;
    for (const m of adapter.modules.values()) {
      const a = fed[i++]!;
      const b = fed[i++]!;
      topk.set(m.path, { aIndices: a.idx, aWeights: a.w, bIndices: b.idx, bWeights: b.w });
    }
  }
  const overrides = new Map<string, HostTensor>();
  for (const [key, t] of adapter.extraTensors) {
    const base = baseKeyOfExtra(key);
    const o = info.overrides.find((x) => x.key === base)!; // checked by checkAdapterFits
    const cast = castFloat(t, o.dtype, key);
    overrides.set(o.input, o.transposed ? transpose2d(cast) : cast);
  }
  return {
    name,
    r: c.r,
    k: c.topk,
    nv: c.num_vectors,
    vl: c.vector_length,
    bank: info.variant === 'topk' ? bank.data : new Float32Array(0),
    lowRank,
    topk,
    overrides,
  };
}

const KEYS = new WeakMap<PreparedAdapter, number>();
let nextKey = 0;

/**
 * A number that identifies one prepared adapter object for the life of the process: feeds built from it may be
 * cached under it, while a name may later denote other factors (an `AdapterStore` recomposes an id into reused
 * arrays).
 * @internal
 */
export function preparedKey(p: PreparedAdapter): number {
  let k = KEYS.get(p);
  if (k === undefined) KEYS.set(p, (k = nextKey++));
  return k;
}
