/**
 * PEFT's energy threshold (`_find_cutoff_index` in `tuners/lora/conversion.py`), in its float32 arithmetic.
 * @module
 */

/**
 * The smallest k such that the k largest singular values hold at least `threshold` of `Σ S²`, computed as PEFT
 * does on its float32 singular values: `S²` rounded to float32, a cumulative sum accumulated in float64 and
 * stored as float32 (torch's CPU `cumsum`), the cut-off `float32(threshold) · total` in float32, then the first
 * index whose cumulative sum reaches it, plus one. `S` is sorted descending; values PEFT would also see beyond
 * `S.length` are the float32 round-off of exact zeros and are left out (see docs/peft-interop.md).
 */
export function energyRank(S: Float64Array, threshold: number): number {
  const cs = new Float32Array(S.length);
  let acc = 0;
  for (let i = 0; i < S.length; i++) {
    const s = Math.fround(S[i]!);
    acc += Math.fround(s * s);
    cs[i] = acc;
  }
  const total = cs[cs.length - 1]!;
  const cutoff = Math.fround(Math.fround(threshold) * total);
  // torch.searchsorted (left): the first i with cs[i] >= cutoff
  let k = 0;
  while (k < cs.length && cs[k]! < cutoff) k++;
  return Math.min(k + 1, S.length);
}
