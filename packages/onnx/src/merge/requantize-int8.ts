/**
 * 8-bit weights as onnxruntime's `quantize_dynamic` writes them for `MatMulInteger`: codes int8 or uint8 `(K, N)`,
 * a float32 scale and a zero point per tensor (shape `[]` or `[1]`) or per output column (`[N]`).
 *
 * Dequantization: `w = (q − zp) · scale` (onnxruntime accumulates `(x_q − x_zp)·(q − zp)` in int32 and scales after;
 * this is the weight that product stands for). Quantization is `onnxruntime.quantization.quant_utils` as plain
 * loops: `rmin = min(min(w), 0)`, `rmax = max(max(w), 0)`, symmetric ranges widened to `±max(|rmin|, |rmax|)`;
 * `scale = f64(f32(rmax − rmin)) / (qmax − qmin)` (1 with zero point 0 when below float32's smallest normal);
 * `zp = round((qmin + qmax)/2)` symmetric, `round(qmin − rmin/scale)` otherwise (halves to even, in float64);
 * codes `clip(round(f32(w / scale)) + zp)` to [−127, 127] (int8) or [0, 255] (uint8). `qmin, qmax`: int8
 * (−128, 127), symmetric (−127, 127), reduced range (−64, 64); uint8 (0, 255), reduced (0, 127).
 * @module
 */
import { UnsupportedError } from '@vblora/core';

/** An 8-bit quantized weight (K, N) of a `MatMulInteger` layer. */
export interface Int8Data {
  readonly dtype: 'i8' | 'u8';
  /** Input features (rows). */
  readonly k: number;
  /** Output features (columns). */
  readonly n: number;
  /** Codes `(K, N)`. */
  readonly values: Int8Array | Uint8Array;
  /** One scale, or one per output column. */
  readonly scales: Float32Array;
  /** Zero points (as many as scales), or null when the graph has none (zero). */
  readonly zeroPoints: Int8Array | Uint8Array | null;
}

/** The quantizer rule of an 8-bit weight. */
export interface Int8Rule {
  readonly symmetric: boolean;
  readonly reduceRange: boolean;
}

const fr = Math.fround;
/** numpy's `finfo(float32).tiny`. */
const F32_TINY = 2 ** -126;

/** numpy's `round`: nearest integer, halves to even. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** `(qmin, qmax)` of onnxruntime's `get_qmin_qmax_for_qType`. */
export function int8Range(dtype: 'i8' | 'u8', rule: Int8Rule): [number, number] {
  if (dtype === 'u8') return rule.reduceRange ? [0, 127] : [0, 255];
  if (rule.reduceRange) return [-64, 64];
  return rule.symmetric ? [-127, 127] : [-128, 127];
}

const channels = (w: { readonly scales: Float32Array }): number => w.scales.length;

/** The float32 weight (K, N) a `MatMulInteger` layer stands for: `(q − zp) · scale`. */
export function dequantizeInt8(w: Int8Data): Float32Array {
  const out = new Float32Array(w.k * w.n);
  const perColumn = channels(w) > 1;
  for (let i = 0; i < w.k; i++) {
    for (let j = 0; j < w.n; j++) {
      const c = perColumn ? j : 0;
      const zp = w.zeroPoints === null ? 0 : w.zeroPoints[c]!;
      out[i * w.n + j] = fr((w.values[i * w.n + j]! - zp) * w.scales[c]!);
    }
  }
  return out;
}

/**
 * The rule that quantized `w`: int8 with all zero points 0 (or none) is symmetric, other int8 asymmetric; uint8
 * is asymmetric (`quantize_dynamic`'s default for uint8 weights); reduced range when every code lies in the reduced
 * range (without it, a channel's extreme value maps to the end of the full range).
 */
export function detectInt8Rule(w: Int8Data): Int8Rule {
  const symmetric = w.dtype === 'i8' && (w.zeroPoints === null || w.zeroPoints.every((z) => z === 0));
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of w.values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const reduceRange = w.values.length > 0 && (w.dtype === 'u8' ? hi <= 127 : lo >= -64 && hi <= 64);
  return { symmetric, reduceRange };
}

/** Scale and zero point of one channel's range (onnxruntime's `compute_scale_zp`). */
function scaleZeroPoint(
  min: number,
  max: number,
  qmin: number,
  qmax: number,
  symmetric: boolean,
): { scale: number; zp: number } {
  let rmin = Math.min(min, 0);
  let rmax = Math.max(max, 0);
  if (symmetric) {
    const absmax = Math.max(Math.abs(rmin), Math.abs(rmax));
    rmin = -absmax;
    rmax = absmax;
  }
  const scale = fr(rmax - rmin) / (qmax - qmin); // float64, from the float32 difference
  if (scale < F32_TINY) return { scale: 1, zp: 0 };
  const zp = symmetric ? roundHalfEven((qmin + qmax) / 2) : roundHalfEven(qmin - rmin / scale);
  return { scale: fr(scale), zp };
}

/**
 * Quantizes a float32 weight (K, N) to 8 bits with onnxruntime's rule, per tensor or per output column.
 * @throws {UnsupportedError} when the layer has no zero point input but the rule needs a non-zero one.
 */
export function quantizeInt8(
  w: Float32Array,
  k: number,
  n: number,
  dtype: 'i8' | 'u8',
  perColumn: boolean,
  rule: Int8Rule,
  hasZeroPoints: boolean,
): Int8Data {
  const [qmin, qmax] = int8Range(dtype, rule);
  const [clipLo, clipHi] = dtype === 'u8' ? [0, 255] : [-127, 127];
  const count = perColumn ? n : 1;
  const scales = new Float32Array(count);
  const zeroPoints = dtype === 'u8' ? new Uint8Array(count) : new Int8Array(count);
  const values = dtype === 'u8' ? new Uint8Array(k * n) : new Int8Array(k * n);
  for (let c = 0; c < count; c++) {
    let min = Infinity;
    let max = -Infinity;
    const cols = perColumn ? [c, c + 1] : [0, n];
    for (let i = 0; i < k; i++) {
      for (let j = cols[0]!; j < cols[1]!; j++) {
        const v = w[i * n + j]!;
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    if (k * (cols[1]! - cols[0]!) === 0) min = max = 0;
    const { scale, zp } = scaleZeroPoint(min, max, qmin, qmax, rule.symmetric);
    if (!hasZeroPoints && zp !== 0) {
      throw new UnsupportedError(
        `requantizing needs a zero point of ${zp}, but the layer has no zero point input (only symmetric int8 weights can be requantized without one)`,
      );
    }
    scales[c] = scale;
    zeroPoints[c] = zp;
    for (let i = 0; i < k; i++) {
      for (let j = cols[0]!; j < cols[1]!; j++) {
        const q = roundHalfEven(fr(w[i * n + j]! / scale)) + zp;
        values[i * n + j] = Math.min(clipHi, Math.max(clipLo, q));
      }
    }
  }
  return { dtype, k, n, values, scales, zeroPoints: hasZeroPoints ? zeroPoints : null };
}

/** The fraction of codes that differ between two quantizations of the same shape. */
export function int8CodesChanged(a: Int8Data, b: Int8Data): number {
  let changed = 0;
  for (let i = 0; i < a.values.length; i++) if (a.values[i] !== b.values[i]) changed++;
  return a.values.length === 0 ? 0 : changed / a.values.length;
}

/** Half the largest quantization step (scale) of an 8-bit weight: the rounding error its own quantization allows. */
export function int8HalfStep(w: Int8Data): number {
  let m = 0;
  for (const s of w.scales) m = Math.max(m, Math.abs(s));
  return m / 2;
}
