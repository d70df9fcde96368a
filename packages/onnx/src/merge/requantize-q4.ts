/**
 * 4-bit block quantization as onnxruntime's `MatMulNBits` stores it (bits 4): weight (N, K) in blocks of
 * `blockSize` along K; packed uint8 `[N, kBlocks, blockSize/2]` with the even element in the low nibble, scales
 * `[N, kBlocks]`, optional packed uint8 zero points `[N, ⌈kBlocks/2⌉]` (default zero point 8).
 *
 * Dequantization is onnxruntime's: `w = (q − zp) · scale` in float32. Quantization is MLAS's blockwise quantizer
 * (`MlasQuantizeBlockwise`, what `MatMulNBitsQuantizer` runs), written here as plain loops:
 * - asymmetric (zero points present): `min = min(block, 0)`, `max = max(block, 0)`, `scale = (max − min)/15`,
 *   `zp = roundf(−min/scale)` clamped to [0, 15];
 * - symmetric (no zero points, zp 8): `signed-max` — `scale = m/−8` with m the block's element of largest
 *   magnitude (the sign kept, so scales can be negative: onnxruntime ≤ 1.22's rule); or `abs-max` — `scale =
 *   2|m|/15` (later releases, positive scales);
 * - codes `q = clamp(roundf(w · (1/scale) + zp), 0, 15)` in float32, `roundf` rounding halves away from zero.
 * @module
 */
import { f16BitsToF32, f32ToF16Bits } from '@vblora/core';

/** How a symmetric 4-bit quantizer picks its scale (see the module comment). */
export type Q4SymmetricRule = 'signed-max' | 'abs-max';

/** A 4-bit block-quantized weight (N, K), as `MatMulNBits` holds it. */
export interface Q4Data {
  /** Output features (rows of the (N, K) weight). */
  readonly n: number;
  /** Input features. */
  readonly k: number;
  readonly blockSize: number;
  /** Packed codes `[N, kBlocks, blockSize/2]`. */
  readonly packed: Uint8Array;
  /** Scales `[N, kBlocks]` as float32 values (float16 scales widened exactly). */
  readonly scales: Float32Array;
  /** Packed zero points `[N, ⌈kBlocks/2⌉]`, or null (symmetric, zero point 8). */
  readonly zeroPoints: Uint8Array | null;
}

/** How {@link quantizeQ4} quantizes. */
export interface Q4Rule {
  /** Asymmetric with zero points (true) or symmetric around 8 (false). */
  readonly zeroPoints: boolean;
  /** The symmetric scale rule (ignored with zero points). */
  readonly symmetric: Q4SymmetricRule;
  /**
   * Scale storage: `f32`, or `f16` as transformers.js makes `q4f16` models (quantized in float32, scales then
   * rounded to float16; the codes stay those of the float32 scales).
   */
  readonly scaleDtype: 'f32' | 'f16';
}

const fr = Math.fround;

/** C's `roundf`: nearest integer, halves away from zero. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/** Blocks along K. */
export function q4Blocks(k: number, blockSize: number): number {
  return Math.ceil(k / blockSize);
}

/** The zero point of block `b` of row `n` (8 without zero points). */
function zeroPointAt(w: Q4Data, n: number, b: number): number {
  if (w.zeroPoints === null) return 8;
  const perRow = Math.ceil(q4Blocks(w.k, w.blockSize) / 2);
  const byte = w.zeroPoints[n * perRow + (b >> 1)]!;
  return b % 2 === 0 ? byte & 0xf : byte >> 4;
}

/** The code of element (n, i). */
function codeAt(w: Q4Data, n: number, i: number): number {
  const kBlocks = q4Blocks(w.k, w.blockSize);
  const b = Math.floor(i / w.blockSize);
  const j = i - b * w.blockSize;
  const byte = w.packed[(n * kBlocks + b) * (w.blockSize / 2) + (j >> 1)]!;
  return j % 2 === 0 ? byte & 0xf : byte >> 4;
}

/** The float32 weight (N, K) a `MatMulNBits` node computes with: `(q − zp) · scale`. */
export function dequantizeQ4(w: Q4Data): Float32Array {
  const kBlocks = q4Blocks(w.k, w.blockSize);
  const out = new Float32Array(w.n * w.k);
  for (let n = 0; n < w.n; n++) {
    for (let i = 0; i < w.k; i++) {
      const b = Math.floor(i / w.blockSize);
      out[n * w.k + i] = fr((codeAt(w, n, i) - zeroPointAt(w, n, b)) * w.scales[n * kBlocks + b]!);
    }
  }
  return out;
}

/**
 * Which symmetric rule quantized `w` (no zero points): any negative scale is `signed-max`'s; with positive scales
 * only, `signed-max` still puts code 0 in every non-zero block (its extreme element maps to exactly 0), which
 * `abs-max` does not (its extremes map to 15 or 1).
 */
export function detectQ4Rule(w: Q4Data): Q4SymmetricRule {
  const kBlocks = q4Blocks(w.k, w.blockSize);
  let sawBlock = false;
  for (let n = 0; n < w.n; n++) {
    for (let b = 0; b < kBlocks; b++) {
      const s = w.scales[n * kBlocks + b]!;
      if (s < 0) return 'signed-max';
      if (s === 0) continue;
      sawBlock = true;
      let hasZero = false;
      for (let i = b * w.blockSize; i < Math.min(w.k, (b + 1) * w.blockSize) && !hasZero; i++)
        hasZero = codeAt(w, n, i) === 0;
      if (!hasZero) return 'abs-max';
    }
  }
  return sawBlock ? 'signed-max' : 'abs-max';
}

/** Scale and zero point of one block (MLAS's `range2scalezp` / `range2scale`), as float32. */
function blockParams(min: number, max: number, rule: Q4Rule): { scale: number; zp: number } {
  if (rule.zeroPoints) {
    const lo = Math.min(min, 0);
    const hi = Math.max(max, 0);
    const scale = fr(fr(hi - lo) / 15);
    const zpf = scale !== 0 ? fr(0 - fr(lo / scale)) : lo;
    const zp = zpf < 0 ? 0 : zpf > 15 ? 15 : roundHalfAway(zpf);
    return { scale, zp };
  }
  const m = Math.abs(max) > Math.abs(min) ? max : min;
  const scale = rule.symmetric === 'signed-max' ? fr(m / -8) : fr(fr(Math.abs(m) * 2) / 15);
  return { scale, zp: 8 };
}

/**
 * Quantizes a float32 weight (N, K) into 4-bit blocks with onnxruntime's rule (see the module comment).
 * @example
 * ```ts
 * const q = quantizeQ4(w, n, k, 32, { zeroPoints: false, symmetric: 'signed-max', scaleDtype: 'f32' });
 * ```
 */
export function quantizeQ4(w: Float32Array, n: number, k: number, blockSize: number, rule: Q4Rule): Q4Data {
  const kBlocks = q4Blocks(k, blockSize);
  const half = blockSize / 2;
  const packed = new Uint8Array(n * kBlocks * half);
  const scales = new Float32Array(n * kBlocks);
  const perRow = Math.ceil(kBlocks / 2);
  const zeroPoints = rule.zeroPoints ? new Uint8Array(n * perRow) : null;
  for (let row = 0; row < n; row++) {
    for (let b = 0; b < kBlocks; b++) {
      const start = b * blockSize;
      const end = Math.min(k, start + blockSize);
      let min = Infinity;
      let max = -Infinity;
      for (let i = start; i < end; i++) {
        const v = w[row * k + i]!;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      const { scale, zp } = blockParams(min, max, rule);
      const rs = scale !== 0 ? fr(1 / scale) : 0;
      const base = (row * kBlocks + b) * half;
      for (let i = start; i < end; i++) {
        const v = w[row * k + i]!;
        const q = Math.min(15, Math.max(0, roundHalfAway(fr(fr(v * rs) + zp))));
        const j = i - start;
        const at = base + (j >> 1);
        packed[at] = packed[at]! | (j % 2 === 0 ? q : q << 4);
      }
      scales[row * kBlocks + b] = rule.scaleDtype === 'f16' ? f16BitsToF32(f32ToF16Bits(scale)) : scale;
      if (zeroPoints !== null) {
        const at = row * perRow + (b >> 1);
        zeroPoints[at] = zeroPoints[at]! | (b % 2 === 0 ? zp : zp << 4);
      }
    }
  }
  return { n, k, blockSize, packed, scales, zeroPoints };
}

/** The fraction of codes that differ between two quantizations of the same shape. */
export function q4CodesChanged(a: Q4Data, b: Q4Data): number {
  let changed = 0;
  for (let n = 0; n < a.n; n++) for (let i = 0; i < a.k; i++) if (codeAt(a, n, i) !== codeAt(b, n, i)) changed++;
  return a.n * a.k === 0 ? 0 : changed / (a.n * a.k);
}

/** Half the largest quantization step |scale| of a 4-bit weight: the rounding error its own quantization allows. */
export function q4HalfStep(w: Q4Data): number {
  let m = 0;
  for (const s of w.scales) m = Math.max(m, Math.abs(s));
  return m / 2;
}
