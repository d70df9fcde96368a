/**
 * SVD of a small square matrix by one-sided Jacobi rotations, in float64.
 * @module
 */

/** `M = W·Vᵀ` where the columns of `W` are orthogonal (`W = U·diag(S)`) and `V` is orthogonal; sorted by `S`. */
export interface JacobiSvd {
  /** Row-major `n × n`: column i is `S[i]·U[:, i]` (no division, so a zero singular value needs no direction). */
  readonly W: Float64Array;
  /** Singular values, descending. */
  readonly S: Float64Array;
  /** Row-major `n × n` orthogonal matrix of right singular vectors (column i belongs to `S[i]`). */
  readonly V: Float64Array;
}

const MAX_SWEEPS = 80;

/**
 * One-sided Jacobi SVD of a row-major `n × n` float64 matrix (n is a LoRA rank: tiny). Rotates column pairs until
 * every pair is orthogonal to working precision; accurate to a few ulps of the largest singular value, which is all
 * the conversion needs. `m` is not modified.
 */
export function jacobiSvd(m: Float64Array, n: number): JacobiSvd {
  const w = Float64Array.from(m);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < n; i++) {
          const a = w[i * n + p]!;
          const b = w[i * n + q]!;
          alpha += a * a;
          beta += b * b;
          gamma += a * b;
        }
        if (gamma === 0 || Math.abs(gamma) <= Number.EPSILON * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        rotate(w, n, p, q, c, s);
        rotate(v, n, p, q, c, s);
      }
    }
    if (!rotated) break;
  }
  const norms = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += w[i * n + c]! * w[i * n + c]!;
    norms[c] = Math.sqrt(s);
  }
  const order = [...norms.keys()].sort((a, b) => norms[b]! - norms[a]! || a - b);
  const W = new Float64Array(n * n);
  const V = new Float64Array(n * n);
  const S = new Float64Array(n);
  order.forEach((from, to) => {
    S[to] = norms[from]!;
    for (let i = 0; i < n; i++) {
      W[i * n + to] = w[i * n + from]!;
      V[i * n + to] = v[i * n + from]!;
    }
  });
  return { W, S, V };
}

/** Columns p, q of a row-major `n × n` matrix ← (c·p − s·q, s·p + c·q). */
function rotate(x: Float64Array, n: number, p: number, q: number, c: number, s: number): void {
  for (let i = 0; i < n; i++) {
    const a = x[i * n + p]!;
    const b = x[i * n + q]!;
    x[i * n + p] = c * a - s * b;
    x[i * n + q] = s * a + c * b;
  }
}
