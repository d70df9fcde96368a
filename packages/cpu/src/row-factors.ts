/**
 * The two factors of a merge laid out for a row loop over W: row `row` of the delta is Σ_q coef[row, q] · vec[q, :].
 * For W (out, in) that is coef = B and vec = A; for fan_in_fan_out's W (in, out), coef = Aᵀ and vec = Bᵀ.
 * @module
 */

/** Factors of one merge: `vec` (r, cols) and `coef` (rows, r), float32. */
export interface RowFactors {
  readonly vec: Float32Array;
  readonly coef: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

/** Lays out A (r, in) and B (out, r) for a row loop over a weight of shape (out, in), or (in, out) when `fanInFanOut`. */
export function rowFactors(
  A: Float32Array,
  B: Float32Array,
  r: number,
  inF: number,
  outF: number,
  fanInFanOut: boolean,
): RowFactors {
  if (!fanInFanOut) return { vec: A, coef: B, rows: outF, cols: inF };
  const vec = new Float32Array(r * outF); // Bᵀ (r, out)
  for (let o = 0; o < outF; o++) for (let q = 0; q < r; q++) vec[q * outF + o] = B[o * r + q]!;
  const coef = new Float32Array(inF * r); // Aᵀ (in, r)
  for (let q = 0; q < r; q++) for (let i = 0; i < inF; i++) coef[i * r + q] = A[q * inF + i]!;
  return { vec, coef, rows: inF, cols: outF };
}
