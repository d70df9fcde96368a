/**
 * The CPU backend's `adapterForward` and `mixedBatchForward` kernels: y = baseOut + (x·Aᵀ)·Bᵀ per row, with one
 * adapter or one per row, in WebAssembly SIMD and bit-identical to the reference (wat/adapter-forward.wat explains the lane
 * layout that keeps the reference's summation order). Checks and messages are the reference kernels'.
 * @module
 */
import {
  type AdapterForwardArgs,
  applyDropout,
  checkAdapterForwardArgs,
  checkMixedBatchForwardArgs,
  fromF32,
  type HostTensor,
  isStableAdapter,
  type LowRankAdapter,
  type MixedBatchForwardArgs,
  tensor,
  toF32,
  type WeightDType,
} from '@vblora/core';
import { align16, type CpuInstance } from './cpu-instance.js';

/** Row numbers grouped by adapter (counting sort; −1 first), so rows sharing an adapter run one after another. */
function byAdapter(rowAdapter: Int32Array, count: number): Int32Array {
  const start = new Int32Array(count + 2);
  for (const a of rowAdapter) start[a + 2]! += 1;
  for (let a = 1; a < start.length; a++) start[a]! += start[a - 1]!;
  const order = new Int32Array(rowAdapter.length);
  rowAdapter.forEach((a, row) => (order[start[a + 1]!++] = row));
  return order;
}

/** Where an adapter's transposed factors are in the memory: Aᵀ (in, rp) at `at`, Bᵀ (r, out) at `bt`. */
interface Placed {
  readonly at: number;
  readonly bt: number;
  readonly r: number;
}

/** Bytes of transposed factors an instance keeps for stable adapters before it starts over. */
let CACHE_BUDGET = 256 * 2 ** 20;

/** Sets that budget (tests exercise the start-over path with a small one); returns the previous one. @internal */
export function setStableAdapterBudget(bytes: number): number {
  const was = CACHE_BUDGET;
  CACHE_BUDGET = bytes;
  return was;
}

/**
 * Transposed factors of stable adapters (`stableAdapter`), kept at the start of an instance's memory — below its
 * `base`, so no call's layout overwrites them — for as long as the same wrappers come back.
 */
interface AdapterCache {
  entries: WeakMap<LowRankAdapter, Placed & { readonly inF: number; readonly outF: number }>;
  end: number;
}

const CACHES = new WeakMap<CpuInstance, AdapterCache>();

function cacheOf(inst: CpuInstance): AdapterCache {
  let c = CACHES.get(inst);
  if (c === undefined) {
    c = { entries: new WeakMap(), end: inst.base };
    CACHES.set(inst, c);
  }
  return c;
}

const paddedRank = (r: number) => Math.ceil(r / 4) * 4;
const factorBytes = (r: number, inF: number, outF: number) => align16(inF * paddedRank(r) * 4) + align16(r * outF * 4);

/**
 * Reserves cache room for the stable adapters among `used` that are not cached yet (starting the cache over when
 * the budget would be exceeded), moving the instance's `base` past it. Returns the adapters whose transposes must
 * be written into their new entries.
 */
function reserveStable(
  inst: CpuInstance,
  adapters: readonly LowRankAdapter[],
  used: ReadonlySet<number>,
  inF: number,
  outF: number,
): number[] {
  const cache = cacheOf(inst);
  const fresh = [...used].filter((j) => {
    const a = adapters[j]!;
    if (!isStableAdapter(a)) return false;
    const e = cache.entries.get(a);
    return e === undefined || e.inF !== inF || e.outF !== outF || e.r !== a.A.shape[0];
  });
  const need = fresh.reduce((s, j) => s + factorBytes(adapters[j]!.A.shape[0]!, inF, outF), 0);
  if (need === 0 || need > CACHE_BUDGET) return [];
  if (cache.end + need > CACHE_BUDGET) {
    cache.entries = new WeakMap();
    cache.end = 0;
  }
  for (const j of fresh) {
    const r = adapters[j]!.A.shape[0]!;
    const at = cache.end;
    const bt = at + align16(inF * paddedRank(r) * 4);
    cache.end = bt + align16(r * outF * 4);
    cache.entries.set(adapters[j]!, { at, bt, r, inF, outF });
  }
  inst.ensure(cache.end);
  if (inst.base !== cache.end) {
    inst.base = cache.end;
    inst.bank = undefined; // the compose kernels' bank lived at the old base
  }
  return fresh;
}

/** Copies A and B of `a` in and writes Aᵀ (in, rp; zero padding lanes) at `at` and Bᵀ (r, out) at `bt`. */
function transposeInto(inst: CpuInstance, a: LowRankAdapter, p: Placed, raw: number, inF: number, outF: number): void {
  const rp = paddedRank(p.r);
  if (rp !== p.r) inst.f32(p.at, inF * rp).fill(0);
  inst.f32(raw, a.A.data.length).set(a.A.data);
  inst.exports.transpose(raw, p.at, p.r, inF, rp);
  inst.f32(raw, a.B.data.length).set(a.B.data);
  inst.exports.transpose(raw, p.bt, outF, p.r, outF);
}

/**
 * Runs forward_rows over f32 x (n, in) and base (n, out) with the given adapters and row assignment. Each used
 * adapter's factors go in transposed: Aᵀ (in, rp), rp = r rounded up to 4 with zero padding lanes, and Bᵀ
 * (r, out) — once per call, or once for as long as a stable adapter (`stableAdapter`) comes back.
 */
function forwardRows(
  inst: CpuInstance,
  xs: Float32Array,
  base: Float32Array,
  n: number,
  inF: number,
  outF: number,
  adapters: readonly LowRankAdapter[],
  rowAdapter: Int32Array,
): Float32Array {
  const used = new Set<number>();
  for (const a of rowAdapter) if (a >= 0) used.add(a);
  const fresh = reserveStable(inst, adapters, used, inF, outF);
  const cache = cacheOf(inst);
  const cached = (j: number) => (isStableAdapter(adapters[j]!) ? cache.entries.get(adapters[j]!) : undefined);
  const ranks = adapters.map((a, j) => (used.has(j) ? a.A.shape[0]! : 0));
  const local = ranks.map((r, j) => (r > 0 && cached(j) === undefined ? r : 0)); // transposed for this call only
  const hStride = Math.max(1, ...ranks.map(paddedRank)) * 4;
  const scratch = Math.max(
    0,
    ...ranks.map((r, j) => (local[j]! > 0 || fresh.includes(j) ? r * Math.max(inF, outF) * 4 : 0)),
  );
  const sizes = [
    xs.byteLength,
    base.byteLength,
    n * outF * 4,
    adapters.length * 12,
    n * 4,
    n * 4,
    2 * hStride,
    scratch,
    ...local.flatMap((r) => [inF * paddedRank(r) * 4, r * outF * 4]),
  ];
  const [xp, bp, yp, tab, ad, order, h, raw, ...ptrs] = inst.layout(sizes);
  inst.f32(xp!, xs.length).set(xs);
  inst.f32(bp!, base.length).set(base);
  inst.i32(ad!, n).set(rowAdapter);
  inst.i32(order!, n).set(byAdapter(rowAdapter, adapters.length));
  const table = inst.i32(tab!, adapters.length * 3);
  ranks.forEach((r, j) => {
    if (r === 0) return table.set([0, 0, 0], 3 * j);
    const p = cached(j) ?? { at: ptrs[2 * j]!, bt: ptrs[2 * j + 1]!, r };
    table.set([p.at, p.bt, r], 3 * j);
    if (local[j]! > 0 || fresh.includes(j)) transposeInto(inst, adapters[j]!, p, raw!, inF, outF);
  });
  inst.exports.forward_rows(xp!, bp!, yp!, tab!, ad!, order!, n, inF, outF, h!, hStride);
  return inst.f32(yp!, n * outF).slice();
}

/** y = baseOut + (drop(x)·Aᵀ)·Bᵀ (see the reference `adapterForward`). */
export function cpuAdapterForward<D extends WeightDType>(
  inst: CpuInstance,
  args: AdapterForwardArgs<D>,
): HostTensor<D> {
  const { x, baseOut, A, B, dropout } = args;
  const { rows, inF, outF } = checkAdapterForwardArgs(args);
  const xs = dropout === undefined ? toF32(x).data : applyDropout(toF32(x).data, dropout); // the reference's mask
  const y = forwardRows(inst, xs, toF32(baseOut).data, rows, inF, outF, [{ A, B }], new Int32Array(rows));
  return fromF32(tensor('f32', baseOut.shape, y), x.dtype) as HostTensor<D>;
}

/** y[n] = baseOut[n] + (x[n]·A_aᵀ)·B_aᵀ with a = rowAdapter[n], −1 for none (see the reference `mixedBatchForward`). */
export function cpuMixedBatchForward<D extends WeightDType>(
  inst: CpuInstance,
  args: MixedBatchForwardArgs<D>,
): HostTensor<D> {
  const { n, inF, outF } = checkMixedBatchForwardArgs(args);
  const y = forwardRows(
    inst,
    toF32(args.x).data,
    toF32(args.baseOut).data,
    n,
    inF,
    outF,
    args.adapters,
    args.rowAdapter,
  );
  return fromF32(tensor('f32', [n, outF], y), args.x.dtype) as HostTensor<D>;
}
