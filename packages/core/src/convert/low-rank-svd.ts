/**
 * The SVD of a product `B·A` of two thin factors, without forming the product.
 * @module
 */
import { thinQR } from './householder-qr.js';
import { jacobiSvd } from './jacobi-svd.js';

/** `B·A = U·diag(S)·Vᵀ` (thin: r columns), with `US = U·diag(S)` kept instead of `U`. */
export interface LowRankSvd {
  /** Row-major `out × r`: `U·diag(S)`, the columns PEFT writes as `lora_B` (it scales U by S too). */
  readonly US: Float64Array;
  /** Singular values, descending (r of them; the other `min(in, out) − r` of `B·A` are exactly 0). */
  readonly S: Float64Array;
  /** Row-major `in × r`: right singular vectors; `Vᵀ`'s rows are what PEFT writes as `lora_A`. */
  readonly V: Float64Array;
}

/**
 * SVD of `B·A` for float32 `B (out × r)` and `A (r × in)`, in float64: `B = Qb·Rb`, `Aᵀ = Qa·Ra`, so
 * `B·A = Qb·(Rb·Raᵀ)·Qaᵀ` and only the `r × r` core needs an SVD. Costs `O((in + out)·r²)` time and memory, never
 * the `out × in` delta PEFT builds.
 *
 * Written by hand because no maintained JavaScript linear-algebra library does a thin QR and an SVD in float64 on
 * typed arrays without pulling in dependencies (core is dependency-free and browser-safe); r is tiny, so a
 * Householder QR and a Jacobi SVD of the r × r core are simple and accurate.
 */
export function lowRankSvd(B: Float32Array, A: Float32Array, out: number, inF: number, r: number): LowRankSvd {
  const b = Float64Array.from(B); // (out, r) row-major
  const at = new Float64Array(inF * r); // Aᵀ (in, r) row-major
  for (let j = 0; j < r; j++) for (let i = 0; i < inF; i++) at[i * r + j] = A[j * inF + i]!;
  const qb = thinQR(b, out, r);
  const qa = thinQR(at, inF, r);
  // core = Rb · Raᵀ  (r × r)
  const core = new Float64Array(r * r);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < r; j++) {
      let s = 0;
      for (let t = 0; t < r; t++) s += qb.R[i * r + t]! * qa.R[j * r + t]!;
      core[i * r + j] = s;
    }
  }
  const { W, S, V } = jacobiSvd(core, r);
  return { US: matmul(qb.Q, W, out, r), S, V: matmul(qa.Q, V, inF, r) };
}

/** Row-major `(m × r)·(r × r)`. */
function matmul(x: Float64Array, y: Float64Array, m: number, r: number): Float64Array {
  const z = new Float64Array(m * r);
  for (let i = 0; i < m; i++) {
    for (let t = 0; t < r; t++) {
      const xv = x[i * r + t]!;
      if (xv === 0) continue;
      for (let j = 0; j < r; j++) z[i * r + j]! += xv * y[t * r + j]!;
    }
  }
  return z;
}
