/**
 * Independent float64 formulas for property tests (no code shared with src/kernels): top-k by a full sort,
 * softmax and admixture in float64, A/B layouts written from SPEC §4.2 index formulas.
 */
import { createRng } from '../../../src/numerics/index.js';
import { tensor, type HostTensor } from '../../../src/tensor/index.js';

/** Indices of the k best entries of a row: sort by (NaN first, value descending, index ascending). */
export function topkF64(row: ArrayLike<number>, k: number): number[] {
  const order = Array.from({ length: row.length }, (_, i) => i);
  const key = (i: number) => (Number.isNaN(row[i]!) ? Infinity : row[i]!);
  order.sort((a, b) => {
    const nanA = Number.isNaN(row[a]!);
    const nanB = Number.isNaN(row[b]!);
    if (nanA !== nanB) return nanA ? -1 : 1;
    return key(b) - key(a) || a - b;
  });
  return order.slice(0, k);
}

/** Float64 softmax. */
export function softmaxF64(v: readonly number[]): number[] {
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** S (rows, vl) = Σ_j softmax(top-k logits)_j · bank[idx_j] in float64, for logits (rows, nv). */
export function admixF64(
  logits: Float32Array,
  rows: number,
  nv: number,
  bank: Float32Array,
  vl: number,
  k: number,
): Float64Array {
  const out = new Float64Array(rows * vl);
  for (let r = 0; r < rows; r++) {
    const row = Array.from(logits.subarray(r * nv, (r + 1) * nv));
    const idx = topkF64(row, k);
    const w = softmaxF64(idx.map((i) => row[i]!));
    for (let c = 0; c < vl; c++) {
      let s = 0;
      idx.forEach((i, j) => (s += w[j]! * bank[i * vl + c]!));
      out[r * vl + c] = s;
    }
  }
  return out;
}

/** A (r, in) and B (out, r) in float64 straight from SPEC §4.2: A[i, t·vl+c] = S_A[i,t,c], B[t·vl+c, i] = S_B[t,i,c]. */
export function composeF64(
  logitsA: HostTensor<'f32'>,
  logitsB: HostTensor<'f32'>,
  bank: HostTensor<'f32'>,
  k: number,
): { A: Float64Array; B: Float64Array } {
  const [nv, vl] = bank.shape as [number, number];
  const [r, inT] = logitsA.shape as [number, number];
  const outT = logitsB.shape[0]!;
  const sA = admixF64(logitsA.data, r * inT, nv, bank.data, vl, k);
  const sB = admixF64(logitsB.data, outT * r, nv, bank.data, vl, k);
  const A = new Float64Array(r * inT * vl);
  const B = new Float64Array(outT * vl * r);
  for (let i = 0; i < r; i++)
    for (let t = 0; t < inT; t++)
      for (let c = 0; c < vl; c++) A[i * inT * vl + t * vl + c] = sA[(i * inT + t) * vl + c]!;
  for (let t = 0; t < outT; t++)
    for (let i = 0; i < r; i++) for (let c = 0; c < vl; c++) B[(t * vl + c) * r + i] = sB[(t * r + i) * vl + c]!;
  return { A, B };
}

/** A float32 tensor of seeded N(0, std) values. */
export function randomNormal(shape: readonly number[], seed: number, std = 1): HostTensor<'f32'> {
  const rng = createRng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(
    'f32',
    shape,
    Float32Array.from({ length: n }, () => rng.normal() * std),
  );
}

/** A float32 tensor of seeded U(-bound, bound) values. */
export function randomUniform(shape: readonly number[], seed: number, bound = 1): HostTensor<'f32'> {
  const rng = createRng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(
    'f32',
    shape,
    Float32Array.from({ length: n }, () => (2 * rng.uniform() - 1) * bound),
  );
}

/** Wraps float64 values as an f64 tensor (for compareTensors). */
export function f64Tensor(shape: readonly number[], data: Float64Array): HostTensor<'f64'> {
  return tensor('f64', shape, data);
}
