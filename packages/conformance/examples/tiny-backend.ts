/**
 * A third-party backend written from docs/adding-a-backend.md alone: every kernel of the contract in plain
 * JavaScript, float32 arithmetic through `Math.fround`, no code shared with core's reference kernels. From
 * `@vblora/core` it takes only `defineBackend`, `tensor`, the error classes and `dropoutMask` (the mask is part of
 * the contract). It passes the whole conformance kit; the mutation self-test (`test/mutation/`) edits it one line
 * at a time and checks that the kit rejects every edit that changes a result.
 *
 * Standalone on purpose, so it re-states rules whose one home is in core (docs/architecture.md, "Where each rule
 * lives"): its top-k order is core's `topkRanksAbove`, its reloaded weights core's `restoreTopkWeights`, its
 * top-k-form test core's `isTopk`; the conformance kit holds it to them like any third-party port.
 * @module
 */
import {
  composeLowRank as referenceComposeLowRank,
  defineBackend,
  dropoutMask,
  NumericalError,
  ShapeError,
  tensor,
  type Backend,
  type HostTensor,
  type KernelSet,
} from '@vblora/core';

type Args<K extends keyof KernelSet> = Parameters<KernelSet[K]>[0];
type FloatDType = 'f32' | 'bf16' | 'f16';
type Dense = HostTensor<'f32'>;
type TopkForm = { readonly indices: HostTensor; readonly weights: Dense };

// ---------------------------------------------------------------------------------------------------------------
// float32 arithmetic and the 16-bit formats

const f32 = Math.fround;

/**
 * Σ_{j<n} term(j) for matrix products and admixtures: float32 terms, partial sums rounded to float32, in index
 * order (torch's CPU order). Any order or a wider accumulator is allowed here, within the declared tolerances.
 */
function dot(n: number, term: (j: number) => number): number {
  let acc = 0;
  for (let j = 0; j < n; j++) acc = f32(acc + f32(term(j)));
  return acc;
}

/** The float32 sum in index order, where the contract prescribes it (PEFT's `1 − Σw` of top-k checkpoints). */
function sumF32(values: readonly number[]): number {
  let acc = 0;
  for (const v of values) acc = f32(acc + v);
  return acc;
}

const box = new Float32Array(1);
const boxBits = new Uint32Array(box.buffer);
const bitsOf = (x: number): number => ((box[0] = x), boxBits[0]!);
const fromBits = (u: number): number => ((boxBits[0] = u), box[0]!);

function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
}

const bf16ToF32 = (h: number): number => fromBits(h << 16);

function f32ToBf16(x: number): number {
  const u = bitsOf(x);
  if (Number.isNaN(x)) return (u >>> 16) | 0x40; // stays a quiet NaN
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff; // round to nearest, ties to even
}

function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24; // zero and subnormals
  if (e === 31) return m === 0 ? sign * Infinity : NaN;
  return sign * (1024 + m) * 2 ** (e - 25);
}

function f32ToF16(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00; // 65520 is the midpoint above 65504: ties to even go to infinity
  if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24); // subnormals: multiples of 2^-24 (1024 = 2^-14)
  const e = ((bitsOf(a) >>> 23) & 0xff) - 127;
  const q = roundHalfEven(a * 2 ** (10 - e)); // 1024 ≤ q ≤ 2048; 2048 carries into the exponent
  return sign | (((e + 15) << 10) + q - 1024);
}

/** A float tensor's values widened (exactly) to float32. */
function widen(t: HostTensor, kernel: string, arg: string): Float32Array {
  if (t.dtype === 'f32') return t.data as Float32Array;
  if (t.dtype === 'bf16') return Float32Array.from(t.data as Uint16Array, bf16ToF32);
  if (t.dtype === 'f16') return Float32Array.from(t.data as Uint16Array, f16ToF32);
  throw new ShapeError(`${kernel}: ${arg} must be f32, bf16 or f16, got ${t.dtype}`, arg);
}

/** Float32 values rounded to `dtype` (a new tensor). */
function narrow(values: Float32Array, dtype: string, shape: readonly number[]): HostTensor {
  if (dtype === 'bf16') return tensor('bf16', shape, Uint16Array.from(values, f32ToBf16));
  if (dtype === 'f16') return tensor('f16', shape, Uint16Array.from(values, f32ToF16));
  return tensor('f32', shape, values);
}

// ---------------------------------------------------------------------------------------------------------------
// argument checks (ShapeError naming the argument, as the contract asks)

function fail(kernel: string, arg: string, message: string): never {
  throw new ShapeError(`${kernel}: ${arg} ${message}`, arg);
}

const shapeText = (s: readonly number[]): string => `(${s.join(', ')})`;

function needF32(t: HostTensor, kernel: string, arg: string): Float32Array {
  if (t.dtype !== 'f32') fail(kernel, arg, `must be f32, got ${t.dtype}`);
  return t.data as Float32Array;
}

function needShape(t: HostTensor, want: readonly (number | null)[], kernel: string, arg: string): void {
  if (t.shape.length !== want.length || want.some((d, i) => d !== null && d !== t.shape[i])) {
    fail(kernel, arg, `must have shape ${shapeText(want.map((d) => d ?? -1))}, got ${shapeText(t.shape)}`);
  }
}

function needK(k: number, nv: number, kernel: string): void {
  if (!Number.isInteger(k) || k < 1 || k > nv) fail(kernel, 'k', `must be an integer in 1..${nv}, got ${k}`);
}

/** (nv, vl) of a float32 bank. */
function bankDims(bank: HostTensor, kernel: string): [number, number] {
  needF32(bank, kernel, 'bank');
  needShape(bank, [null, null], kernel, 'bank');
  return [bank.shape[0]!, bank.shape[1]!];
}

const INT_DTYPES = new Set(['u8', 'i8', 'i16', 'u16', 'i32', 'u32', 'i64', 'u64']);

/** Bank rows from an integer tensor of any integer dtype (i64 arrives as a BigInt64Array), each in [0, nv). */
function readIndices(t: HostTensor, nv: number, kernel: string, arg: string): Int32Array {
  if (!INT_DTYPES.has(t.dtype)) fail(kernel, arg, `must be an integer tensor, got ${t.dtype}`);
  const data = t.data as ArrayLike<number | bigint>;
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]!);
    if (!(Number.isInteger(v) && v >= 0 && v < nv)) fail(kernel, arg, `[${i}] = ${v} is outside [0, ${nv})`);
    out[i] = v;
  }
  return out;
}

const rowsOf = (shape: readonly number[]): number => shape.slice(0, -1).reduce((a, b) => a * b, 1);
const last = (shape: readonly number[]): number => shape[shape.length - 1] ?? 0;

// ---------------------------------------------------------------------------------------------------------------
// top-k, softmax, admixture

/** The k entries of `row` that rank highest: NaN first, then larger values, ties (−0 = +0) lowest index first. */
function topk(row: Float32Array, k: number): number[] {
  const order = Array.from({ length: row.length }, (_, j) => j);
  order.sort((a, b) => {
    const na = Number.isNaN(row[a]!);
    const nb = Number.isNaN(row[b]!);
    if (na !== nb) return na ? -1 : 1;
    if (!na && row[a] !== row[b]) return row[b]! - row[a]! > 0 ? 1 : -1;
    return a - b;
  });
  return order.slice(0, k);
}

/** torch's float32 softmax: e_j = exp(v_j − max), s = Σ e_j, w_j = e_j · (1/s). NaN anywhere gives NaN. */
function softmax(vals: readonly number[]): number[] {
  const max = vals.some(Number.isNaN) ? NaN : Math.max(...vals);
  const e = vals.map((v) => f32(Math.exp(f32(v - max))));
  const inv = f32(1 / dot(e.length, (j) => e[j]!));
  return e.map((x) => f32(x * inv));
}

/** Σ_j w[row, j] · bank[idx[row, j]] for every row: (rows, vl). */
function mix(idx: ArrayLike<number>, w: ArrayLike<number>, k: number, bank: Float32Array, vl: number): Float32Array {
  const rows = idx.length / k;
  const out = new Float32Array(rows * vl);
  for (let row = 0; row < rows; row++) {
    const vectors = Array.from({ length: k }, (_, j) => bank.subarray(idx[row * k + j]! * vl, idx[row * k + j]! * vl + vl));
    for (let c = 0; c < vl; c++) out[row * vl + c] = dot(k, (j) => w[row * k + j]! * vectors[j]![c]!);
  }
  return out;
}

/** Indices, weights and sub-vectors of every logits row. */
function admix(logits: HostTensor, bank: HostTensor, k: number, kernel: string) {
  const [nv, vl] = bankDims(bank, kernel);
  const l = needF32(logits, kernel, 'logits');
  if (logits.shape.length < 1 || last(logits.shape) !== nv) fail(kernel, 'logits', `must have shape (..., nv=${nv}), got ${shapeText(logits.shape)}`);
  needK(k, nv, kernel);
  const rows = rowsOf(logits.shape);
  const indices = new Int32Array(rows * k);
  const weights = new Float32Array(rows * k);
  for (let row = 0; row < rows; row++) {
    const r = l.subarray(row * nv, row * nv + nv);
    const idx = topk(r, k);
    indices.set(idx, row * k);
    weights.set(softmax(idx.map((j) => r[j]!)), row * k);
  }
  const lead = logits.shape.slice(0, -1);
  return {
    indices: tensor('i32', [...lead, k], indices),
    weights: tensor('f32', [...lead, k], weights),
    vectors: tensor('f32', [...lead, vl], mix(indices, weights, k, bank.data as Float32Array, vl)),
  };
}

function admixFromTopk(args: Args<'admixFromTopk'>): Dense {
  const K = 'admixFromTopk';
  const { indices, weights, bank } = args;
  const [nv, vl] = bankDims(bank, K);
  const w = needF32(weights, K, 'weights');
  if (indices.shape.length < 1) fail(K, 'indices', `must have shape (..., k), got ${shapeText(indices.shape)}`);
  needShape(weights, indices.shape, K, 'weights');
  const idx = readIndices(indices, nv, K, 'indices');
  return tensor('f32', [...indices.shape.slice(0, -1), vl], mix(idx, w, last(indices.shape), bank.data, vl));
}

// ---------------------------------------------------------------------------------------------------------------
// top-k checkpoints

/** The k weights PEFT reloads: the k−1 stored ones, then f32(1 − Σ stored) (negative → PEFT's NaN). */
function restoredWeights(stored: Float32Array, row: number, m: number): number[] {
  const w = Array.from(stored.subarray(row * m, row * m + m));
  return [...w, f32(1 - sumF32(w))];
}

function logitsFromTopk(args: Args<'logitsFromTopk'>): Dense {
  const K = 'logitsFromTopk';
  const { indices, weightsKm1, nv, safe = false } = args;
  const stored = needF32(weightsKm1, K, 'weightsKm1');
  if (indices.shape.length < 1) fail(K, 'indices', `must have shape (..., k), got ${shapeText(indices.shape)}`);
  const k = last(indices.shape);
  needShape(weightsKm1, [...indices.shape.slice(0, -1), k - 1], K, 'weightsKm1');
  needK(k, nv, K);
  const idx = readIndices(indices, nv, K, 'indices');
  if (safe) {
    const bad = stored.findIndex((v) => !(v >= 0 && v <= 1));
    if (bad >= 0) throw new NumericalError(`${K}: stored top-k weight [${bad}] = ${stored[bad]} is outside [0, 1]`, 'weightsKm1');
  }
  const rows = rowsOf(indices.shape);
  const out = new Float32Array(rows * nv).fill(-Infinity);
  for (let row = 0; row < rows; row++) {
    const w = restoredWeights(stored, row, k - 1);
    if (safe) w[k - 1] = Math.max(w[k - 1]!, 0);
    // later writes win on a duplicate index, as torch's scatter does
    for (let j = 0; j < k; j++) out[row * nv + idx[row * k + j]!] = f32(Math.log(w[j]!));
  }
  return tensor('f32', [...indices.shape.slice(0, -1), nv], out);
}

/**
 * PEFT's reload of a top-k factor: per row the k restored weights (the last clamped at 0), their logs, top-k of
 * those k logits (ties keep the file order) and softmax; the stored indices follow the same order.
 */
function topkReload(args: Args<'topkReload'>) {
  const K = 'topkReload';
  const { indices, weightsKm1, k, nv } = args;
  const stored = needF32(weightsKm1, K, 'weightsKm1');
  if (!INT_DTYPES.has(indices.dtype)) fail(K, 'indices', `must be an integer tensor, got ${indices.dtype}`);
  if (!Number.isInteger(k) || k < 1) fail(K, 'k', `must be an integer ≥ 1, got ${k}`);
  if (indices.shape.length < 1 || last(indices.shape) !== k) {
    fail(K, 'indices', `must have shape (..., ${k}), got ${shapeText(indices.shape)}`);
  }
  const lead = indices.shape.slice(0, -1);
  needShape(weightsKm1, [...lead, k - 1], K, 'weightsKm1');
  const idx = readIndices(indices, nv ?? 2 ** 31, K, 'indices');
  const badAt = stored.findIndex((v) => !(v >= 0 && v <= 1));
  if (badAt >= 0) {
    throw new NumericalError(`${K}: stored top-k weight [${badAt}] = ${stored[badAt]} is outside [0, 1]`, 'weightsKm1');
  }
  const count = rowsOf(indices.shape);
  const outIdx = new Int32Array(count * k);
  const outW = new Float32Array(count * k);
  for (let row = 0; row < count; row++) {
    const restored = restoredWeights(stored, row, k - 1);
    restored[k - 1] = Math.max(restored[k - 1]!, 0); // 1 − Σ stored < 0 by rounding: weight 0, never NaN
    const lg = Float32Array.from(restored, (v) => f32(Math.log(v)));
    const order = topk(lg, k);
    outW.set(softmax(order.map((j) => lg[j]!)), row * k);
    outIdx.set(order.map((j) => idx[row * k + j]!), row * k);
  }
  return { indices: tensor('i32', [...lead, k], outIdx), weights: tensor('f32', [...lead, k], outW) };
}

/** True when PEFT's float32 `1 − Σw` cannot be negative for these m = k−1 stored weights, in any summation order. */
function reloadsSafely(w: readonly number[]): boolean {
  const m = w.length;
  if (sumF32(w) > 1) return false; // the in-order float32 sum (the only order for m ≤ 2)
  if (m <= 2) return true;
  const exact = w.reduce((a, b) => a + b, 0); // float64: exact up to ~2^-52
  return exact <= 1 - (m - 1) * 2 ** -25; // m − 1 roundings of partial sums ≤ 1, each ≤ 2^-25
}

function topkWeightsForSave(args: Args<'topkWeightsForSave'>) {
  const K = 'topkWeightsForSave';
  const { logits, k } = args;
  if (logits.shape.length < 1) fail(K, 'logits', `must have shape (..., nv), got ${shapeText(logits.shape)}`);
  const nv = last(logits.shape);
  needF32(logits, K, 'logits');
  needK(k, nv, K);
  const rows = rowsOf(logits.shape);
  const indices = new Int32Array(rows * k);
  const stored = new Float32Array(rows * (k - 1));
  const nudgedRows: number[] = [];
  for (let row = 0; row < rows; row++) {
    const r = logits.data.subarray(row * nv, row * nv + nv) as Float32Array;
    const idx = topk(r, k);
    const w = softmax(idx.map((j) => r[j]!));
    if (!w.every(Number.isFinite)) {
      throw new NumericalError(`${K}: logits row ${row} gives non-finite top-k weights; PEFT would save NaN`, 'logits');
    }
    const keep = w.slice(0, k - 1); // the largest k−1; the smallest is dropped
    if (!reloadsSafely(keep)) {
      nudgedRows.push(row);
      while (!reloadsSafely(keep) && keep[0]! > 0) keep[0] = fromBits(bitsOf(keep[0]!) - 1); // lower the largest by one ulp
    }
    indices.set(idx, row * k);
    stored.set(keep, row * (k - 1));
  }
  const lead = logits.shape.slice(0, -1);
  return { indices: tensor('i32', [...lead, k], indices), weightsKm1: tensor('f32', [...lead, k - 1], stored), nudgedRows };
}

// ---------------------------------------------------------------------------------------------------------------
// compose, delta, merge

function isTopkForm(src: Dense | TopkForm): src is TopkForm {
  return 'indices' in src;
}

/** Sub-vectors (a, b, vl) of dense logits (a, b, nv) or of a top-k form (a, b, k). */
function subVectors(src: Dense | TopkForm, bank: Dense, k: number, arg: string): { shape: number[]; data: Float32Array } {
  const K = 'composeLowRank';
  const shape = isTopkForm(src) ? src.indices.shape : src.shape;
  if (shape.length !== 3) fail(K, arg, `must be 3-D, got ${shapeText(shape)}`);
  if (!isTopkForm(src)) return { shape: [shape[0]!, shape[1]!], data: admix(src, bank, k, K).vectors.data };
  if (shape[2] !== k) fail(K, arg, `top-k form has k = ${shape[2]} but k = ${k} was given`);
  const [nv, vl] = bankDims(bank, K);
  needShape(src.weights, shape, K, `${arg}.weights`);
  const idx = readIndices(src.indices, nv, K, `${arg}.indices`);
  return { shape: [shape[0]!, shape[1]!], data: mix(idx, needF32(src.weights, K, `${arg}.weights`), k, bank.data, vl) };
}

function composeLowRank(args: Args<'composeLowRank'>) {
  const { bank, k } = args;
  const vl = bank.shape[1]!;
  const a = subVectors(args.logitsA, bank, k, 'logitsA'); // (r, in_t, vl) = A (r, in), rank-major
  const b = subVectors(args.logitsB, bank, k, 'logitsB'); // (out_t, r, vl)
  const [r, inT] = a.shape as [number, number];
  const [outT, rB] = b.shape as [number, number];
  if (rB !== r) fail('composeLowRank', 'logitsB', `must have r = ${r} as its second dimension, got ${rB}`);
  const B = new Float32Array(outT * vl * r); // B[t·vl + c, i] = S_B[t, i, c]
  for (let t = 0; t < outT; t++) {
    for (let i = 0; i < r; i++) {
      for (let c = 0; c < vl; c++) B[(t * vl + c) * r + i] = b.data[(t * r + i) * vl + c]!;
    }
  }
  return { A: tensor('f32', [r, inT * vl], a.data), B: tensor('f32', [outT * vl, r], B) };
}

/** [r, in, out] of A (r, in) and B (out, r). */
function lowRankDims(A: HostTensor, B: HostTensor, kernel: string): [number, number, number] {
  needF32(A, kernel, 'A');
  needF32(B, kernel, 'B');
  needShape(A, [null, null], kernel, 'A');
  needShape(B, [null, A.shape[0]!], kernel, 'B');
  return [A.shape[0]!, A.shape[1]!, B.shape[0]!];
}

/** ΔW = B·A laid out (out, in), or (in, out) for fan_in_fan_out. */
function delta(A: Dense, B: Dense, fanInFanOut: boolean): Float32Array {
  const [r, inF, outF] = lowRankDims(A, B, 'deltaWeight');
  const d = new Float32Array(outF * inF);
  for (let o = 0; o < outF; o++) {
    for (let i = 0; i < inF; i++) {
      d[fanInFanOut ? i * outF + o : o * inF + i] = dot(r, (q) => B.data[o * r + q]! * A.data[q * inF + i]!);
    }
  }
  return d;
}

function deltaWeight(args: Args<'deltaWeight'>): Dense {
  const { A, B, fanInFanOut = false } = args;
  const [, inF, outF] = lowRankDims(A, B, 'deltaWeight');
  return tensor('f32', fanInFanOut ? [inF, outF] : [outF, inF], delta(A, B, fanInFanOut));
}

/** merge (sign +1) and unmerge (sign −1): round_dtype(f32(W) ± ΔW) into a new tensor. */
function applyDelta(args: Args<'merge'>, sign: 1 | -1): HostTensor {
  const kernel = sign === 1 ? 'merge' : 'unmerge';
  const { weight, A, B, fanInFanOut = false, safe = false, adapter = 'default', module } = args;
  const [, inF, outF] = lowRankDims(A, B, kernel);
  const w = widen(weight, kernel, 'weight');
  needShape(weight, fanInFanOut ? [inF, outF] : [outF, inF], kernel, 'weight');
  const d = delta(A, B, fanInFanOut);
  const sum = new Float32Array(w.length);
  for (let j = 0; j < w.length; j++) sum[j] = sign === 1 ? w[j]! + d[j]! : w[j]! - d[j]!;
  const result = narrow(sum, weight.dtype, weight.shape);
  if (safe) {
    const bad = widen(result, kernel, 'weight').findIndex((v) => !Number.isFinite(v)); // after rounding: f16 overflows
    if (bad >= 0) {
      const where = module === undefined ? '' : ` (module ${module}, first non-finite element at flat index ${bad})`;
      throw new NumericalError(`NaNs detected in the merged weights. The adapter ${adapter} seems to be broken${where}`, module);
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// forward passes

function linear(args: Args<'linear'>): HostTensor {
  const K = 'linear';
  const { x, weight, bias, fanInFanOut = false } = args;
  const xs = widen(x, K, 'x');
  const w = widen(weight, K, 'weight');
  const inF = last(x.shape);
  if (x.shape.length < 1 || weight.shape.length !== 2 || weight.shape[fanInFanOut ? 0 : 1] !== inF) {
    fail(K, 'weight', `must be ${fanInFanOut ? '(in, out)' : '(out, in)'} with in = ${inF}, got ${shapeText(weight.shape)}`);
  }
  const outF = weight.shape[fanInFanOut ? 1 : 0]!;
  const b = bias === undefined ? undefined : widen(bias, K, 'bias');
  if (bias !== undefined) needShape(bias, [outF], K, 'bias');
  const rows = rowsOf(x.shape);
  const y = new Float32Array(rows * outF);
  for (let n = 0; n < rows; n++) {
    for (let o = 0; o < outF; o++) {
      const acc = dot(inF, (i) => xs[n * inF + i]! * w[fanInFanOut ? i * outF + o : o * inF + i]!);
      y[n * outF + o] = b === undefined ? acc : f32(acc + b[o]!);
    }
  }
  return narrow(y, x.dtype, [...x.shape.slice(0, -1), outF]);
}

/** y_row = f32(base_row + (x_row·Aᵀ)·Bᵀ), written into y at `yOff`. */
function adapterRow(x: Float32Array, xOff: number, base: Float32Array, A: Dense, B: Dense, y: Float32Array, yOff: number): void {
  const [r, inF] = A.shape as [number, number];
  const outF = B.shape[0]!;
  const h = Array.from({ length: r }, (_, q) => dot(inF, (c) => x[xOff + c]! * A.data[q * inF + c]!)); // (r,)
  for (let o = 0; o < outF; o++) y[yOff + o] = f32(base[yOff + o]! + dot(r, (q) => h[q]! * B.data[o * r + q]!));
}

/** Checks x (..., in) and baseOut (..., out) against A (r, in) and B (out, r); returns [rows, in, out]. */
function forwardDims(x: HostTensor, baseOut: HostTensor, A: HostTensor, B: HostTensor, kernel: string): [number, number, number] {
  const [, inF, outF] = lowRankDims(A, B, kernel);
  if (x.shape.length < 1 || last(x.shape) !== inF) fail(kernel, 'x', `must have shape (..., in=${inF}), got ${shapeText(x.shape)}`);
  needShape(baseOut, [...x.shape.slice(0, -1), outF], kernel, 'baseOut');
  return [rowsOf(x.shape), inF, outF];
}

function adapterForward(args: Args<'adapterForward'>): HostTensor {
  const K = 'adapterForward';
  const { x, baseOut, A, B, dropout } = args;
  const [rows, inF, outF] = forwardDims(x, baseOut, A, B, K);
  let xs = widen(x, K, 'x');
  if (dropout !== undefined) {
    // inverted dropout on the adapter input: mask element j ↔ element j of x in C order
    const mask = dropoutMask(xs.length, dropout.p, dropout.seed);
    const scale = f32(1 / f32(1 - dropout.p));
    xs = xs.map((v, j) => (mask[j] === 1 ? f32(v * scale) : 0));
  }
  const base = widen(baseOut, K, 'baseOut');
  const y = new Float32Array(rows * outF);
  for (let n = 0; n < rows; n++) adapterRow(xs, n * inF, base, A, B, y, n * outF);
  return narrow(y, x.dtype, baseOut.shape); // the output has x's dtype, whatever baseOut's
}

function mixedBatchForward(args: Args<'mixedBatchForward'>): HostTensor {
  const K = 'mixedBatchForward';
  const { x, baseOut, adapters, rowAdapter } = args;
  needShape(x, [null, null], K, 'x');
  const [n, inF] = x.shape as [number, number];
  needShape(baseOut, [n, null], K, 'baseOut');
  const outF = baseOut.shape[1]!;
  if (rowAdapter.length !== n) fail(K, 'rowAdapter', `must have ${n} entries, got ${rowAdapter.length}`);
  adapters.forEach((a, j) => forwardDims(x, baseOut, a.A, a.B, `${K} (adapter ${j})`));
  const xs = widen(x, K, 'x');
  const base = widen(baseOut, K, 'baseOut');
  const y = new Float32Array(n * outF);
  for (let row = 0; row < n; row++) {
    const a = rowAdapter[row]!;
    if (a === -1) y.set(base.subarray(row * outF, row * outF + outF), row * outF);
    else if (a >= 0 && a < adapters.length) adapterRow(xs, row * inF, base, adapters[a]!.A, adapters[a]!.B, y, row * outF);
    else fail(K, 'rowAdapter', `[${row}] = ${a} is not −1 or an adapter number below ${adapters.length}`);
  }
  return narrow(y, x.dtype, [n, outF]);
}

// ---------------------------------------------------------------------------------------------------------------
// backward (float64 inside, one rounding per output)

/**
 * For rows of logits (rows, nv) and dL/dvectors g (rows, vl): dL/dlogits (zero outside each row's top-k) and, added
 * into gradBank, Σ_rows w_j·g at row idx_j. With w the softmax of the selected logits and dw_j = g·bank[idx_j]:
 * dL/dlogit[idx_j] = w_j·(dw_j − Σ_i w_i·dw_i).
 */
function backwardRows(logits: Float32Array, nv: number, k: number, bank: Float32Array, vl: number, g: ArrayLike<number>, gradBank: Float64Array): Float32Array {
  const rows = logits.length / nv;
  const gradLogits = new Float32Array(rows * nv);
  for (let row = 0; row < rows; row++) {
    const r = logits.subarray(row * nv, row * nv + nv);
    const idx = topk(r, k);
    const vals = idx.map((j) => r[j]!);
    const max = vals.some(Number.isNaN) ? NaN : Math.max(...vals);
    const e = vals.map((v) => Math.exp(v - max));
    const s = e.reduce((a, b) => a + b, 0);
    const w = e.map((v) => v / s);
    const dw = idx.map((j) => {
      let acc = 0;
      for (let c = 0; c < vl; c++) acc += g[row * vl + c]! * bank[j * vl + c]!;
      return acc;
    });
    const centre = w.reduce((acc, wj, j) => acc + wj * dw[j]!, 0);
    idx.forEach((j, q) => {
      gradLogits[row * nv + j] = w[q]! * (dw[q]! - centre);
      for (let c = 0; c < vl; c++) gradBank[j * vl + c] = gradBank[j * vl + c]! + w[q]! * g[row * vl + c]!;
    });
  }
  return gradLogits;
}

function admixtureBackward(args: Args<'admixtureBackward'>) {
  const K = 'admixtureBackward';
  const { logits, bank, k, gradVectors } = args;
  const [nv, vl] = bankDims(bank, K);
  const l = needF32(logits, K, 'logits');
  if (logits.shape.length < 1 || last(logits.shape) !== nv) fail(K, 'logits', `must have shape (..., nv=${nv}), got ${shapeText(logits.shape)}`);
  needK(k, nv, K);
  const g = needF32(gradVectors, K, 'gradVectors');
  needShape(gradVectors, [...logits.shape.slice(0, -1), vl], K, 'gradVectors');
  const gradBank = new Float64Array(nv * vl);
  const gradLogits = backwardRows(l, nv, k, bank.data, vl, g, gradBank);
  return { gradLogits: tensor('f32', logits.shape, gradLogits), gradBank: tensor('f32', [nv, vl], Float32Array.from(gradBank)) };
}

function composeBackward(args: Args<'composeBackward'>) {
  const K = 'composeBackward';
  const { logitsA, logitsB, bank, k, gradA, gradB } = args;
  const [nv, vl] = bankDims(bank, K);
  needShape(logitsA, [null, null, nv], K, 'logitsA');
  const [r, inT] = logitsA.shape as [number, number];
  needShape(logitsB, [null, r, nv], K, 'logitsB');
  const outT = logitsB.shape[0]!;
  needShape(gradA, [r, inT * vl], K, 'gradA');
  needShape(gradB, [outT * vl, r], K, 'gradB');
  const gA = needF32(gradA, K, 'gradA'); // dL/dS_A (r, in_t, vl) is gradA reshaped
  const gBdata = needF32(gradB, K, 'gradB');
  needK(k, nv, K);
  const gB = new Float64Array(outT * r * vl); // dL/dS_B[t, i, c] = gradB[t·vl + c, i]
  for (let t = 0; t < outT; t++) {
    for (let i = 0; i < r; i++) {
      for (let c = 0; c < vl; c++) gB[(t * r + i) * vl + c] = gBdata[(t * vl + c) * r + i]!;
    }
  }
  const gradBank = new Float64Array(nv * vl); // one bank, two contributions
  const gla = backwardRows(needF32(logitsA, K, 'logitsA'), nv, k, bank.data, vl, gA, gradBank);
  const glb = backwardRows(needF32(logitsB, K, 'logitsB'), nv, k, bank.data, vl, gB, gradBank);
  return {
    gradLogitsA: tensor('f32', logitsA.shape, gla),
    gradLogitsB: tensor('f32', logitsB.shape, glb),
    gradBank: tensor('f32', [nv, vl], Float32Array.from(gradBank)),
  };
}

// ---------------------------------------------------------------------------------------------------------------

/** The kernels of the tiny backend: every one of the contract. */
export const tinyKernels = {
  topkAdmixture: (args: Args<'topkAdmixture'>) => admix(args.logits, args.bank, args.k, 'topkAdmixture'),
  admixFromTopk,
  logitsFromTopk,
  topkWeightsForSave,
  topkReload,
  composeLowRank,
  deltaWeight,
  merge: (args: Args<'merge'>) => applyDelta(args, 1),
  unmerge: (args: Args<'unmerge'>) => applyDelta(args, -1),
  linear,
  adapterForward,
  mixedBatchForward,
  admixtureBackward,
  composeBackward,
} as unknown as KernelSet;

/**
 * The tiny backend.
 * @example
 * ```ts
 * const report = await checkConformance(tinyBackend()); // report.ok === true
 * ```
 */
export function tinyBackend(): Backend {
  return defineBackend({ name: 'tiny', precision: 'f32', isAvailable: () => true, kernels: tinyKernels });
}
