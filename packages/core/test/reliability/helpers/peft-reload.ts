import { readSafetensors, toF32, type HostTensor } from '@vblora/core';

/**
 * PEFT reloads a top-k row as `log(1 − Σ stored)` (SPEC §5.4) and gets NaN when the float32 sum exceeds 1. torch's
 * summation order is not fixed, so a row is safe only if `1 − Σ` stays ≥ 0 for the orders torch can use: in file
 * order, reversed, and pairwise. Written independently of core's `reloadsSafely` on purpose.
 */
export function rowReloadsFinite(w: ArrayLike<number>, offset: number, m: number): boolean {
  const seq = (order: number[]): number => order.reduce((s, j) => Math.fround(s + w[offset + j]!), 0);
  const pairwise = (lo: number, hi: number): number =>
    hi - lo === 1 ? w[offset + lo]! : Math.fround(pairwise(lo, (lo + hi) >> 1) + pairwise((lo + hi) >> 1, hi));
  const idx = Array.from({ length: m }, (_, j) => j);
  const sums = m === 0 ? [0] : [seq(idx), seq([...idx].reverse()), pairwise(0, m)];
  return sums.every((s) => Math.fround(1 - s) >= 0);
}

/** Every `_topk_weights` tensor of a safetensors file we wrote, with rows PEFT would reload as NaN. */
export function peftNaNRows(weightsFile: Uint8Array): string[] {
  const bad: string[] = [];
  for (const [key, t] of readSafetensors(weightsFile).tensors) {
    if (!key.endsWith('_topk_weights')) continue;
    const w = toF32(t as HostTensor).data;
    const m = t.shape[t.shape.length - 1]!;
    for (let row = 0; m > 0 && row < w.length / m; row++)
      if (!rowReloadsFinite(w, row * m, m)) bad.push(`${key} row ${row}`);
  }
  return bad;
}
