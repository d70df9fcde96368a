/**
 * The cpu backend's `composeAll` capability: every module of an adapter composed into pairs from
 * `allocatePairs(adapter, { backend })` in one WebAssembly call over a job table (`compose_all` in
 * wat/compose-all.wat), instead of a reload and a compose kernel call per module. PEFT's k = 2 checkpoint form is
 * copied into the memory as stored and reloaded there; other factors (dense logits, other k) are selected as the
 * compose kernel selects them, then mixed from the same table. The same functions run in the same order, so the
 * bits are the compose kernel's. Anything that does not qualify or check out is declined (core then composes
 * module by module, which throws that path's errors).
 * @module
 */
import {
  checkComposeLowRankArgs,
  type ComposeAll,
  type ComposeAllModule,
  type Factor,
  factorSource,
  type HostTensor,
  isIntDType,
  isTopk,
  type LowRankPair,
  type PairsLayer,
  toF32,
} from '@vblora/core';
import { align16, type CpuInstance } from './cpu-instance.js';
import { pairsInstance, placeBank, regions, type Selection, selectDense } from './cpu-compose.js';
import { cpuKernelsSupported } from './kernels-supported.js';
import { pairsMemoryOf, type PairsMemory } from './pairs-memory.js';

/** Bytes of one job of the table (12 int32). */
const JOB_BYTES = 48;

/** One factor ready for the table: PEFT's k = 2 stored form (reloaded in WebAssembly), or a selection. */
type TableFactor =
  | { readonly rows: number; readonly stored: { readonly indices: HostTensor; readonly weights: Float32Array } }
  | { readonly rows: number; readonly sel: Selection };

interface TableJob {
  readonly a: TableFactor;
  readonly b: TableFactor;
  readonly r: number;
  readonly out: LowRankPair;
}

/**
 * Bytes of scratch (from a pairs memory's scratch start) that composing all of `layers` in one call uses at most:
 * the bank, the table, the reload outputs of the largest A and B, the transpose scratch, every factor's input.
 * Mirrors {@link layoutTable}. @internal
 */
export function composeAllScratchBytes(layers: readonly PairsLayer[]): number {
  if (layers.length === 0) return 0;
  const { nv, vl, k } = layers[0]!;
  let inputs = 0;
  let rowsA = 0;
  let rowsB = 0;
  let r = 0;
  for (const l of layers) {
    inputs += 2 * align16(l.rowsA * Math.max(k, 3) * 4) + 2 * align16(l.rowsB * Math.max(k, 3) * 4);
    rowsA = Math.max(rowsA, l.rowsA);
    rowsB = Math.max(rowsB, l.rowsB);
    r = Math.max(r, l.r);
  }
  const fixed = [nv * vl * 4, layers.length * JOB_BYTES, rowsA * 8, rowsA * 8, rowsB * 8, rowsB * 8, r * vl * 4];
  return fixed.reduce((s, b) => s + align16(b), 0) + inputs;
}

/** PEFT's k = 2 stored form of a (r, in_t) or (out_t, r) factor, weights as float32; undefined for any other. */
function storedPairs(f: Factor, k: number): { indices: HostTensor; weights: Float32Array; lead: number[] } | undefined {
  if (f.kind !== 'topk' || k !== 2 || !isIntDType(f.indices.dtype)) return undefined;
  const [s0, s1, s2] = f.indices.shape;
  const w = f.weights.shape;
  if (f.indices.shape.length !== 3 || s2 !== 2 || w.length !== 3 || w[0] !== s0 || w[1] !== s1 || w[2] !== 1)
    return undefined;
  if (f.indices.data.length !== 2 * s0! * s1!) return undefined;
  const weights = toF32(f.weights).data;
  if (weights.length !== s0! * s1!) return undefined;
  return { indices: f.indices, weights, lead: [s0!, s1!] };
}

/** The table's job for one module, or undefined when its factors do not check out (the module path throws). */
function tableJob(inst: CpuInstance, m: ComposeAllModule, bank: HostTensor<'f32'>, k: number): TableJob | undefined {
  const [nv] = bank.shape as [number, number];
  const a = storedPairs(m.a, k);
  const b = storedPairs(m.b, k);
  if (a !== undefined && b !== undefined) {
    const [r, inT] = a.lead as [number, number];
    const [outT, rB] = b.lead as [number, number];
    if (rB !== r) return undefined;
    return { a: { rows: r * inT, stored: a }, b: { rows: outT * r, stored: b }, r, out: m.out };
  }
  // as the per-module path: the factor sources, checked by the compose kernel's rules, then selected
  const logitsA = factorSource(m.a, k);
  const logitsB = factorSource(m.b, k);
  const d = checkComposeLowRankArgs({ logitsA, logitsB, bank, k });
  const rowsA = d.r * d.inT;
  const rowsB = d.outT * d.r;
  const sel = (src: typeof logitsA, indices: Int32Array | undefined, rows: number): Selection =>
    isTopk(src) ? { rows, idx: indices!, w: src.weights.data } : selectDense(inst, bank, src.data, rows, nv, k);
  return {
    a: { rows: rowsA, sel: sel(logitsA, d.indicesA, rowsA) },
    b: { rows: rowsB, sel: sel(logitsB, d.indicesB, rowsB) },
    r: d.r,
    out: m.out,
  };
}

/** Bytes a factor's input takes in the memory: indices and weights. */
function inputBytes(f: TableFactor, k: number): [number, number] {
  return 'stored' in f ? [f.rows * 8, f.rows * 4] : [f.rows * k * 4, f.rows * k * 4];
}

/** Copies a factor's input to `ip` (indices) and `wp` (weights); stored indices out of int32 become −1 (refused). */
function writeFactor(inst: CpuInstance, f: TableFactor, k: number, ip: number, wp: number): void {
  if ('sel' in f) {
    inst.i32(ip, f.rows * k).set(f.sel.idx);
    inst.f32(wp, f.rows * k).set(f.sel.w);
    return;
  }
  const src = f.stored.indices.data;
  const idx = inst.i32(ip, 2 * f.rows);
  if (src instanceof BigInt64Array || src instanceof BigUint64Array) {
    for (let i = 0; i < idx.length; i++) {
      const v = Number(src[i]!);
      idx[i] = v >= 0 && v <= 0x7fffffff ? v : -1;
    }
  } else {
    idx.set(src as ArrayLike<number>);
  }
  inst.f32(wp, f.rows).set(f.stored.weights);
}

/** The pairs memory every pair of `modules` lives in, or undefined. */
function commonHome(modules: readonly ComposeAllModule[]): PairsMemory | undefined {
  const buffer = modules[0]?.out.A.data.buffer;
  const home = buffer === undefined ? undefined : pairsMemoryOf(buffer);
  if (home === undefined) return undefined;
  const inHome = (t: HostTensor) => t.data instanceof Float32Array && t.data.buffer === buffer;
  return modules.every((m) => inHome(m.out.A) && inHome(m.out.B)) ? home : undefined;
}

/**
 * Lays out the bank, the table, the reload outputs, the transpose scratch and every factor's input after the
 * instance's base, fills them, and returns the arguments of `compose_all`; undefined when the scratch is too small.
 */
function layoutTable(
  inst: CpuInstance,
  home: PairsMemory,
  jobs: readonly TableJob[],
  bank: HostTensor<'f32'>,
  k: number,
): Parameters<CpuInstance['exports']['compose_all']> | undefined {
  const [nv, vl] = bank.shape as [number, number];
  const most = (f: (j: TableJob) => number) => jobs.reduce((n, j) => Math.max(n, f(j)), 0);
  const [rowsA, rowsB, r] = [most((j) => j.a.rows), most((j) => j.b.rows), most((j) => j.r)];
  const inputs = jobs.flatMap((j) => [...inputBytes(j.a, k), ...inputBytes(j.b, k)]);
  const sizes = [jobs.length * JOB_BYTES, rowsA * 8, rowsA * 8, rowsB * 8, rowsB * 8, r * vl * 4, ...inputs];
  const need = [bank.data.byteLength, ...sizes].reduce((s, b) => s + align16(b), 0);
  if (need > home.scratchBytes) return undefined;
  const [table, riA, rwA, riB, rwB, tmp, ...at] = regions(inst, bank, sizes) as [number, ...number[]];
  placeBank(inst, bank);
  const t = inst.i32(table, (jobs.length * JOB_BYTES) / 4);
  jobs.forEach((j, n) => {
    const [ia, wa, ib, wb] = at.slice(4 * n, 4 * n + 4) as [number, number, number, number];
    writeFactor(inst, j.a, k, ia, wa);
    writeFactor(inst, j.b, k, ib, wb);
    const row = [j.a.rows, +('stored' in j.a), ia, wa, j.out.A.data.byteOffset];
    row.push(j.b.rows, +('stored' in j.b), ib, wb, j.out.B.data.byteOffset, j.r, 0);
    t.set(row, n * (JOB_BYTES / 4));
  });
  return [table, jobs.length, inst.base, k, vl, nv, riA!, rwA!, riB!, rwB!, tmp!];
}

function run(modules: readonly ComposeAllModule[], bank: HostTensor<'f32'>, k: number): boolean {
  if (modules.length === 0 || !cpuKernelsSupported()) return false;
  const home = commonHome(modules);
  if (home === undefined || bank.dtype !== 'f32' || bank.shape.length !== 2) return false;
  const [nv] = bank.shape as [number, number];
  if (!Number.isInteger(k) || k < 1 || k > nv) return false;
  const inst = pairsInstance(home);
  try {
    const vl = bank.shape[1]!;
    const jobs: TableJob[] = [];
    for (const m of modules) {
      const job = tableJob(inst, m, bank, k);
      // pairs of other lengths: the module path's kernel would return new tensors (and core refuses them)
      if (job === undefined || m.out.A.data.length !== job.a.rows * vl || m.out.B.data.length !== job.b.rows * vl)
        return false;
      jobs.push(job);
    }
    const args = layoutTable(inst, home, jobs, bank, k);
    return args !== undefined && inst.exports.compose_all(...args) < 0;
  } catch {
    return false; // a check of the module path failed: that path throws its error
  }
}

/** The cpu backend's {@link ComposeAll}. @internal */
export const CPU_COMPOSE_ALL: ComposeAll = { run };
