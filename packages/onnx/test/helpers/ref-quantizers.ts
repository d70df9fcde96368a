/**
 * Independent quantizers for the tests, written from onnxruntime's rules without sharing code with
 * `src/merge/requantize-*.ts`: element codes are computed first and packed afterwards, rounding uses
 * `Math.round` on magnitudes. They build the quantized test models and check the requantized weights.
 */
import { f16BitsToF32, f32ToF16Bits } from '@vblora/core';

const f = Math.fround;
/** C `roundf`. */
const roundAway = (x: number): number => Math.sign(x) * Math.round(Math.abs(x));
/** numpy `round` (halves to even). */
function roundEven(x: number): number {
  const r = Math.round(x); // halves up
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** A 4-bit quantized (N, K) weight: packed codes, float32 scales (f16-rounded when asked), packed zero points. */
export interface RefQ4 {
  readonly packed: Uint8Array;
  readonly scales: Float32Array;
  readonly zeroPoints: Uint8Array | null;
}

/** Quantizes (N, K) row-major `w` to 4-bit blocks (MLAS's rule; `rule` for the symmetric scale). */
export function refQuantizeQ4(
  w: Float32Array,
  N: number,
  K: number,
  blockSize: number,
  opts: { zeroPoints: boolean; rule: 'signed-max' | 'abs-max'; f16Scales: boolean },
): RefQ4 {
  const kb = Math.ceil(K / blockSize);
  const codes = new Uint8Array(N * kb * blockSize);
  const zps = new Uint8Array(N * kb).fill(8);
  const scales = new Float32Array(N * kb);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < kb; b++) {
      const vals: number[] = [];
      for (let i = b * blockSize; i < Math.min(K, (b + 1) * blockSize); i++) vals.push(w[n * K + i]!);
      const lo = Math.min(...vals);
      const hi = Math.max(...vals);
      let scale: number;
      let zp = 8;
      if (opts.zeroPoints) {
        const mn = Math.min(lo, 0);
        const mx = Math.max(hi, 0);
        scale = f(f(mx - mn) / 15);
        const z = scale === 0 ? mn : f(-f(mn / scale));
        zp = z < 0 ? 0 : z > 15 ? 15 : roundAway(z);
      } else {
        const m = Math.abs(hi) > Math.abs(lo) ? hi : lo;
        scale = opts.rule === 'signed-max' ? f(m / -8) : f(f(2 * Math.abs(m)) / 15);
      }
      const inv = scale === 0 ? 0 : f(1 / scale);
      vals.forEach((v, j) => {
        codes[(n * kb + b) * blockSize + j] = Math.max(0, Math.min(15, roundAway(f(f(v * inv) + zp))));
      });
      scales[n * kb + b] = opts.f16Scales ? f16BitsToF32(f32ToF16Bits(scale)) : scale;
      zps[n * kb + b] = zp;
    }
  }
  const packed = new Uint8Array(codes.length / 2);
  for (let i = 0; i < packed.length; i++) packed[i] = codes[2 * i]! | (codes[2 * i + 1]! << 4);
  let zeroPoints: Uint8Array | null = null;
  if (opts.zeroPoints) {
    const per = Math.ceil(kb / 2);
    zeroPoints = new Uint8Array(N * per);
    for (let n = 0; n < N; n++) {
      for (let b = 0; b < kb; b++)
        zeroPoints[n * per + (b >> 1)] = zeroPoints[n * per + (b >> 1)]! | (zps[n * kb + b]! << (b % 2 === 0 ? 0 : 4));
    }
  }
  return { packed, scales, zeroPoints };
}

/** Dequantizes a 4-bit (N, K) weight: (q − zp) · scale. */
export function refDequantizeQ4(q: RefQ4, N: number, K: number, blockSize: number): Float32Array {
  const kb = Math.ceil(K / blockSize);
  const out = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < K; i++) {
      const b = Math.floor(i / blockSize);
      const j = i % blockSize;
      const byte = q.packed[(n * kb + b) * (blockSize / 2) + Math.floor(j / 2)]!;
      const code = (byte >> (4 * (j % 2))) & 15;
      const zByte = q.zeroPoints === null ? 0 : q.zeroPoints[n * Math.ceil(kb / 2) + Math.floor(b / 2)]!;
      const zp = q.zeroPoints === null ? 8 : (zByte >> (4 * (b % 2))) & 15;
      out[n * K + i] = f((code - zp) * q.scales[n * kb + b]!);
    }
  }
  return out;
}

/** An 8-bit quantized (K, N) weight. */
export interface RefInt8 {
  readonly values: Int8Array | Uint8Array;
  readonly scales: Float32Array;
  readonly zeroPoints: Int8Array | Uint8Array;
}

/** Quantizes (K, N) row-major `w` as onnxruntime's `quantize_data` (per tensor, or per output column). */
export function refQuantizeInt8(
  w: Float32Array,
  K: number,
  N: number,
  opts: { dtype: 'i8' | 'u8'; symmetric: boolean; reduceRange: boolean; perColumn: boolean },
): RefInt8 {
  const { dtype } = opts;
  let qmin: number;
  let qmax: number;
  if (dtype === 'u8') [qmin, qmax] = opts.reduceRange ? [0, 127] : [0, 255];
  else if (opts.reduceRange) [qmin, qmax] = [-64, 64];
  else [qmin, qmax] = opts.symmetric ? [-127, 127] : [-128, 127];
  const groups = opts.perColumn ? N : 1;
  const scales = new Float32Array(groups);
  const zeroPoints = dtype === 'u8' ? new Uint8Array(groups) : new Int8Array(groups);
  const values = dtype === 'u8' ? new Uint8Array(K * N) : new Int8Array(K * N);
  for (let g = 0; g < groups; g++) {
    const idx: number[] = [];
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) if (!opts.perColumn || n === g) idx.push(k * N + n);
    let rmin = Math.min(0, ...idx.map((i) => w[i]!));
    let rmax = Math.max(0, ...idx.map((i) => w[i]!));
    if (opts.symmetric) {
      const a = Math.max(-rmin, rmax);
      rmin = -a;
      rmax = a;
    }
    let scale = f(rmax - rmin) / (qmax - qmin);
    let zp: number;
    if (scale < 2 ** -126) {
      scale = 1;
      zp = 0;
    } else {
      zp = opts.symmetric ? roundEven((qmin + qmax) / 2) : roundEven(qmin - rmin / scale);
      scale = f(scale);
    }
    scales[g] = scale;
    zeroPoints[g] = zp;
    for (const i of idx)
      values[i] = Math.min(
        dtype === 'u8' ? 255 : 127,
        Math.max(dtype === 'u8' ? 0 : -127, roundEven(f(w[i]! / scale)) + zp),
      );
  }
  return { values, scales, zeroPoints };
}

/** Dequantizes an 8-bit (K, N) weight: (q − zp) · scale. */
export function refDequantizeInt8(q: RefInt8, K: number, N: number): Float32Array {
  const out = new Float32Array(K * N);
  const perColumn = q.scales.length > 1;
  for (let k = 0; k < K; k++) {
    for (let n = 0; n < N; n++) {
      const g = perColumn ? n : 0;
      out[k * N + n] = f((q.values[k * N + n]! - q.zeroPoints[g]!) * q.scales[g]!);
    }
  }
  return out;
}
