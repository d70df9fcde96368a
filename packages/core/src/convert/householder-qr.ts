/**
 * Thin QR of a tall matrix by Householder reflections, in float64.
 * @module
 */

/** `X = Q·R` for a row-major `m × n` matrix with `n ≤ m`: `Q` is `m × n` with orthonormal columns, `R` is `n × n`. */
export interface ThinQR {
  /** Row-major `m × n`. */
  readonly Q: Float64Array;
  /** Row-major `n × n`, upper triangular. */
  readonly R: Float64Array;
}

/**
 * Householder QR of a row-major `m × n` float64 matrix (`n ≤ m`); `x` is overwritten. Reflections instead of
 * Gram–Schmidt because they stay orthogonal for rank-deficient factors (a zero or repeated column of a trained
 * A or B), where Gram–Schmidt would divide by zero or lose orthogonality.
 */
export function thinQR(x: Float64Array, m: number, n: number): ThinQR {
  const reflectors: { v: Float64Array; scale: number }[] = [];
  for (let j = 0; j < n; j++) {
    let norm2 = 0;
    for (let i = j; i < m; i++) norm2 += x[i * n + j]! * x[i * n + j]!;
    const v = new Float64Array(m - j);
    if (norm2 === 0) {
      reflectors.push({ v, scale: 0 });
      continue;
    }
    const norm = Math.sqrt(norm2);
    // the sign that avoids cancellation in v[0]
    const alpha = x[j * n + j]! >= 0 ? -norm : norm;
    for (let i = j; i < m; i++) v[i - j] = x[i * n + j]!;
    v[0]! -= alpha;
    let vv = 0;
    for (let i = 0; i < v.length; i++) vv += v[i]! * v[i]!;
    const scale = vv === 0 ? 0 : 2 / vv;
    reflectors.push({ v, scale });
    applyReflector(x, m, n, j, v, scale);
  }
  const R = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let c = i; c < n; c++) R[i * n + c] = x[i * n + c]!;
  // Q = H0·H1·…·H(n−1) applied to the first n columns of the identity, last reflector first
  const Q = new Float64Array(m * n);
  for (let i = 0; i < n; i++) Q[i * n + i] = 1;
  for (let j = n - 1; j >= 0; j--) applyReflector(Q, m, n, j, reflectors[j]!.v, reflectors[j]!.scale);
  return { Q, R };
}

/** `Y[j:, :] −= scale · v · (vᵀ · Y[j:, :])` on a row-major `m × n` matrix. */
function applyReflector(y: Float64Array, m: number, n: number, j: number, v: Float64Array, scale: number): void {
  if (scale === 0) return;
  for (let c = 0; c < n; c++) {
    let s = 0;
    for (let i = j; i < m; i++) s += v[i - j]! * y[i * n + c]!;
    if (s === 0) continue;
    s *= scale;
    for (let i = j; i < m; i++) y[i * n + c]! -= s * v[i - j]!;
  }
}
