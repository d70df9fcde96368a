/**
 * The CPU backend's `topkAdmixture`, `admixFromTopk` and `composeLowRank` kernels: top-k selection and the
 * admixture's gather-sum in WebAssembly SIMD, the k-way softmax in JavaScript (it needs `Math.exp`, which
 * WebAssembly lacks, and is k values per row). Checks and messages follow the reference kernels.
 * @module
 */
import {
  type AdmixFromTopkArgs,
  checkAdmixFromTopkArgs,
  checkComposeLowRankArgs,
  checkTopkAdmixtureArgs,
  type ComposeLowRankArgs,
  type ComposeLowRankDims,
  type HostTensor,
  isStableBank,
  isTopk,
  type LogitsSource,
  type LowRankPair,
  type PairsLayer,
  softmaxF32,
  tensor,
  type TopkAdmixtureArgs,
  type TopkAdmixtureResult,
} from '@vblora/core';
import { align16, CpuInstance } from './cpu-instance.js';
import { pairsMemoryOf, type PairsMemory } from './pairs-memory.js';

/** Rows of one admixture: their indices (rows, k) and weights (rows, k), ready to copy into the memory. @internal */
export interface Selection {
  readonly rows: number;
  readonly idx: Int32Array;
  readonly w: Float32Array;
}

/**
 * The bank lives at the start of the instance's regions (its `base`). A bank marked stable (an adapter-level
 * call's own wrapper) is copied once and reused while the same wrapper comes back and no other kernel has used
 * the memory since; any other bank is copied on every call. @internal
 */
export function placeBank(inst: CpuInstance, bank: HostTensor<'f32'>): void {
  if (inst.bank === bank && isStableBank(bank)) return;
  inst.ensure(inst.base + bank.data.byteLength);
  inst.f32(inst.base, bank.data.length).set(bank.data);
  inst.bank = bank;
}

/** Regions after the bank (growing the memory keeps its contents, so a placed bank stays valid). @internal */
export function regions(inst: CpuInstance, bank: HostTensor<'f32'>, sizes: readonly number[]): number[] {
  if (inst.bank !== undefined && inst.bank !== bank) inst.bank = undefined; // a different bank: placed afresh
  const ptrs = inst.layout([bank.data.byteLength, ...sizes], true);
  return ptrs.slice(1);
}

/** Bytes of logits copied into the memory per top-k call: small enough that the scan reads them from L2. */
const SELECT_CHUNK_BYTES = 256 * 1024;

/** Rows of `nv` logits per chunk of the dense top-k selection (at least one). */
function selectChunkRows(rows: number, nv: number): number {
  return Math.max(1, Math.min(rows, Math.floor(SELECT_CHUNK_BYTES / (nv * 4))));
}

/**
 * Top-k of dense logits rows in WebAssembly, then the torch-order softmax of the k selected values. The logits
 * go into the memory a chunk of rows at a time (copied, then scanned while still in cache: one pass over them
 * from main memory instead of three). @internal
 */
export function selectDense(
  inst: CpuInstance,
  bank: HostTensor<'f32'>,
  logits: Float32Array,
  rows: number,
  nv: number,
  k: number,
): Selection {
  const chunk = selectChunkRows(rows, nv);
  const [lp, ip] = regions(inst, bank, [chunk * nv * 4, rows * k * 4]);
  for (let r0 = 0; r0 < rows; r0 += chunk) {
    const n = Math.min(chunk, rows - r0);
    inst.f32(lp!, n * nv).set(logits.subarray(r0 * nv, (r0 + n) * nv));
    inst.exports.select_topk(lp!, n, nv, k, ip! + r0 * k * 4);
  }
  const idx = inst.i32(ip!, rows * k).slice();
  const vals = new Float32Array(k);
  const w = new Float32Array(rows * k);
  for (let row = 0; row < rows; row++) {
    for (let j = 0; j < k; j++) vals[j] = logits[row * nv + idx[row * k + j]!]!;
    softmaxF32(vals, 0, k, w, row * k);
  }
  return { rows, idx, w };
}

/**
 * Where mixed A and B go: new arrays (undefined), the arrays of `out` (copied there from the memory), or byte
 * pointers `at` in the instance memory itself (written in place by the kernel: pairs from `allocatePairs`).
 */
type Destination = undefined | { readonly out: LowRankPair } | { readonly at: PairRegions };

/** Byte pointers of A and B in the instance memory (regions of exactly the call's shapes: see `inPlaceInstance`). */
interface PairRegions {
  readonly A: number;
  readonly B: number;
}

/**
 * Mixes selections into float32 outputs: `plain` rows as (rows, vl), `tiled` rows (tiles of r) transposed per
 * tile to (vl, r), B's layout.
 */
function mixAll(
  inst: CpuInstance,
  bank: HostTensor<'f32'>,
  vl: number,
  k: number,
  plain: Selection,
  tiled?: { sel: Selection; r: number },
  dest?: Destination,
): Float32Array[] {
  const nB = tiled?.sel.rows ?? 0;
  const inPlace = dest !== undefined && 'at' in dest;
  const outBytes = inPlace ? [0, 0] : [plain.rows * vl * 4, nB * vl * 4];
  const sizes = [plain.rows * k * 4, plain.rows * k * 4, nB * k * 4, nB * k * 4, ...outBytes, (tiled?.r ?? 0) * vl * 4];
  const [ia, wa, ib, wb, scratchA, scratchB, tmp] = regions(inst, bank, sizes);
  const [oa, ob] = inPlace ? [dest.at.A, dest.at.B] : [scratchA!, scratchB!];
  placeBank(inst, bank);
  inst.i32(ia!, plain.idx.length).set(plain.idx);
  inst.f32(wa!, plain.w.length).set(plain.w);
  inst.exports.mix(oa, inst.base, ia!, wa!, plain.rows, k, vl);
  if (tiled === undefined) return [inst.f32(oa, plain.rows * vl).slice()];
  inst.i32(ib!, tiled.sel.idx.length).set(tiled.sel.idx);
  inst.f32(wb!, tiled.sel.w.length).set(tiled.sel.w);
  inst.exports.mix_t(ob, inst.base, ib!, wb!, tiled.r === 0 ? 0 : nB / tiled.r, tiled.r, k, vl, tmp!);
  if (inPlace) return [];
  if (dest !== undefined) {
    dest.out.A.data.set(inst.f32(oa, plain.rows * vl));
    dest.out.B.data.set(inst.f32(ob, nB * vl));
    return [dest.out.A.data, dest.out.B.data];
  }
  // A and B leave the memory in one copy (their regions are adjacent): one allocation per module, not two
  const both = inst.memory.buffer.slice(oa, ob + nB * vl * 4);
  return [new Float32Array(both, 0, plain.rows * vl), new Float32Array(both, ob - oa, nB * vl)];
}

/** Top-k admixture of dense logits (see the reference `topkAdmixture`). */
export function cpuTopkAdmixture(inst: CpuInstance, args: TopkAdmixtureArgs): TopkAdmixtureResult {
  const { logits, bank } = args;
  const { nv, vl, k, rows, lead } = checkTopkAdmixtureArgs(args);
  const sel = selectDense(inst, bank, logits.data, rows, nv, k);
  const [vectors] = mixAll(inst, bank, vl, k, sel);
  return {
    indices: tensor('i32', [...lead, k], sel.idx),
    weights: tensor('f32', [...lead, k], sel.w),
    vectors: tensor('f32', [...lead, vl], vectors!),
  };
}

/** Weighted sum of bank rows for given indices and weights (see the reference `admixFromTopk`). */
export function cpuAdmixFromTopk(inst: CpuInstance, args: AdmixFromTopkArgs): HostTensor<'f32'> {
  const { weights, bank } = args;
  const { vl, k, rows, lead, indices } = checkAdmixFromTopkArgs(args);
  const [vectors] = mixAll(inst, bank, vl, k, { rows, idx: indices, w: weights.data });
  return tensor('f32', [...lead, vl], vectors!);
}

/** The selection of one checked source: its top-k form, or top-k of its dense logits. */
function selectSource(
  inst: CpuInstance,
  src: LogitsSource,
  indices: Int32Array | undefined,
  rows: number,
  bank: HostTensor<'f32'>,
  d: ComposeLowRankDims,
): Selection {
  if (isTopk(src)) return { rows, idx: indices!, w: src.weights.data };
  return selectDense(inst, bank, src.data, rows, d.nv, d.k);
}

/** True when `out` holds float32 A and B of exactly these shapes (otherwise the kernel returns new tensors). */
function fits(out: LowRankPair, shapeA: readonly [number, number], shapeB: readonly [number, number]): boolean {
  const ok = (t: HostTensor, [rows, cols]: readonly [number, number]) =>
    t.data instanceof Float32Array &&
    t.shape.length === 2 &&
    t.shape[0] === rows &&
    t.shape[1] === cols &&
    t.data.length === rows * cols;
  return ok(out.A, shapeA) && ok(out.B, shapeB);
}

/**
 * Bytes of scratch (from the instance's `base`) that composing a layer into regions outside it uses: the bank,
 * then the larger of a dense top-k selection's regions and the mix's index, weight and transpose regions.
 * Mirrors the layouts of `selectDense` and `mixAll`.
 */
export function composeScratchBytes(dims: PairsLayer): number {
  const { rowsA, rowsB, r, k, nv, vl } = dims;
  const sum = (sizes: number[]) => sizes.reduce((s, b) => s + align16(b), 0);
  const select = (dense: boolean, rows: number) =>
    dense ? sum([selectChunkRows(rows, nv) * nv * 4, rows * k * 4]) : 0;
  const mix = sum([rowsA * k * 4, rowsA * k * 4, rowsB * k * 4, rowsB * k * 4, 0, 0, r * vl * 4]);
  return align16(nv * vl * 4) + Math.max(select(dims.denseA, rowsA), select(dims.denseB, rowsB), mix);
}

/** Selects both (checked) sources, then mixes A and B to `dest`; the two shapes. */
function composePair(
  inst: CpuInstance,
  args: ComposeLowRankArgs,
  d: ComposeLowRankDims,
  dest: Destination,
): { A: Float32Array | undefined; B: Float32Array | undefined; shapeA: [number, number]; shapeB: [number, number] } {
  const { logitsA, logitsB, bank } = args;
  const { r, inT, outT, vl, k } = d;
  const a = selectSource(inst, logitsA, d.indicesA, r * inT, bank, d);
  const b = selectSource(inst, logitsB, d.indicesB, outT * r, bank, d);
  const shapeA: [number, number] = [r, inT * vl];
  const shapeB: [number, number] = [outT * vl, r];
  const target = dest !== undefined && 'out' in dest && !fits(dest.out, shapeA, shapeB) ? undefined : dest;
  const [A, B] = mixAll(inst, bank, vl, k, a, { sel: b, r }, target);
  return { A, B, shapeA, shapeB };
}

/** Kernel instances working in pairs memories (one per memory, shared by every cpu backend: kernels are synchronous). */
const IN_PLACE = new WeakMap<WebAssembly.Memory, CpuInstance>();

/**
 * An instance to compose `out` in place: when `out` has the shapes this call gives, its A and B are views of one
 * pairs memory (from `allocatePairs`), and that memory's scratch holds what the call needs; otherwise undefined.
 */
function inPlaceInstance(args: ComposeLowRankArgs, d: ComposeLowRankDims, out: LowRankPair): CpuInstance | undefined {
  const home = pairsMemoryOf(out.A.data.buffer);
  if (home === undefined || out.B.data.buffer !== out.A.data.buffer) return undefined;
  const { nv, vl, r, inT, outT } = d;
  if (!fits(out, [r, inT * vl], [outT * vl, r])) return undefined;
  const dims = {
    rowsA: r * inT,
    rowsB: outT * r,
    r,
    k: d.k,
    nv,
    vl,
    denseA: !isTopk(args.logitsA),
    denseB: !isTopk(args.logitsB),
  };
  if (composeScratchBytes(dims) > home.scratchBytes) return undefined;
  return pairsInstance(home);
}

/** The kernel instance working in a pairs memory, laying out from the start of its scratch. @internal */
export function pairsInstance(home: PairsMemory): CpuInstance {
  let inst = IN_PLACE.get(home.memory);
  if (inst === undefined) {
    inst = new CpuInstance(home.memory);
    inst.base = home.scratchStart;
    inst.limit = home.scratchStart + home.scratchBytes;
    IN_PLACE.set(home.memory, inst);
  }
  return inst;
}

/**
 * A (r, in) and B (out, r) of one layer (see the reference `composeLowRank`); into `args.out` when it fits:
 * written in place when `out` lives in a pairs memory (`allocatePairs`), else copied there.
 */
export function cpuComposeLowRank(inst: CpuInstance, args: ComposeLowRankArgs): LowRankPair {
  const out = args.out;
  const d = checkComposeLowRankArgs(args);
  const home = out === undefined ? undefined : inPlaceInstance(args, d, out);
  if (out !== undefined && home !== undefined) {
    composePair(home, args, d, { at: { A: out.A.data.byteOffset, B: out.B.data.byteOffset } });
    return out;
  }
  const { A, B, shapeA, shapeB } = composePair(inst, args, d, out === undefined ? undefined : { out });
  if (out !== undefined && A === out.A.data) return out;
  return { A: tensor('f32', shapeA, A!), B: tensor('f32', shapeB, B!) };
}
