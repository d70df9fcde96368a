/**
 * Weight quantization as onnxruntime's quantizers write it, for building quantized test graphs from known float
 * weights, with the dequantized values the graphs then hold (what a plain-JS reference multiplies by).
 *
 * - 4 bits for com.microsoft `MatMulNBits`: per row n of W (N = out, K = in) and block of `blockSize` columns,
 *   q = clamp(round(w / s) + zp, 0, 15) with s = (max − min) / 15 over the block (0 included) and zp = round(−min / s);
 *   B `(N, k_blocks, blockSize/2)` uint8, element 2m of a block in the low nibble and 2m+1 in the high nibble, the
 *   last block zero-padded; scales `(N, k_blocks)`; zero points packed two per byte, `(N · ceil(k_blocks/2))`, the
 *   even block in the low nibble. Symmetric: no zero points (the operator's default 8), s = max|w| / 7.
 * - 8 bits for `MatMulInteger` (`quantize_dynamic`): W stored `(K, N)`; uint8 asymmetric per tensor
 *   (s = (max − min) / 255, zp = round(−min / s)), or int8 symmetric with a 7-bit range (reduce_range: q ∈ [−64, 63],
 *   s = max|w| / 63, zp 0), per tensor or per output column.
 *
 * Dequantized: w' = f32(s · (q − zp)).
 */
import { tensor, type HostTensor } from '@vblora/core';

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
/** Round half to even, as numpy and onnxruntime do. */
const roundEven = (v: number): number => {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/** A packed MatMulNBits weight and what it dequantizes to. */
export interface Q4Packed {
  /** (N, k_blocks, blockSize/2) uint8. */
  readonly B: HostTensor<'u8'>;
  /** (N, k_blocks) scales (float32 values, already rounded by `roundScale`). */
  readonly scales: HostTensor<'f32'>;
  /** (N · ceil(k_blocks/2)) packed uint8 zero points, or null (symmetric). */
  readonly zeroPoints: HostTensor<'u8'> | null;
  /** (N, K) float32: the weight the operator multiplies by. */
  readonly dequantized: Float32Array;
}

/**
 * Quantizes W `(N, K)` (PEFT's (out, in)) to 4 bits per `blockSize` block.
 * @param symmetric no zero points (default false: asymmetric with packed zero points, onnxruntime's default).
 * @param roundScale rounds each scale to what the graph stores (float16 scales for `q4f16`).
 */
export function packQ4(
  w: Float32Array,
  N: number,
  K: number,
  blockSize = 32,
  symmetric = false,
  roundScale: (s: number) => number = Math.fround,
): Q4Packed {
  const kb = Math.ceil(K / blockSize);
  const half = blockSize / 2;
  const B = new Uint8Array(N * kb * half);
  const scales = new Float32Array(N * kb);
  const zpBytes = Math.ceil(kb / 2);
  const zps = new Uint8Array(N * zpBytes);
  const deq = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < kb; b++) {
      const cols = Array.from({ length: blockSize }, (_, j) => b * blockSize + j);
      const vals = cols.map((c) => (c < K ? w[n * K + c]! : 0));
      let s: number;
      let zp: number;
      if (symmetric) {
        s = roundScale(Math.max(...vals.map(Math.abs)) / 7 || 1);
        zp = 8;
      } else {
        const lo = Math.min(0, ...vals);
        const hi = Math.max(0, ...vals);
        s = roundScale((hi - lo) / 15 || 1);
        zp = clamp(roundEven(-lo / s), 0, 15);
      }
      scales[n * kb + b] = s;
      const zAt = n * zpBytes + (b >> 1);
      if (!symmetric) zps[zAt] = zps[zAt]! | (b % 2 === 0 ? zp : zp << 4);
      vals.forEach((v, j) => {
        const q = clamp(roundEven(v / s) + zp, 0, 15);
        const at = (n * kb + b) * half + (j >> 1);
        B[at] = B[at]! | (j % 2 === 0 ? q : q << 4);
        const c = cols[j]!;
        if (c < K) deq[n * K + c] = Math.fround(s * (q - zp));
      });
    }
  }
  return {
    B: tensor('u8', [N, kb, half], B),
    scales: tensor('f32', [N, kb], scales),
    zeroPoints: symmetric ? null : tensor('u8', [N * zpBytes], zps),
    dequantized: deq,
  };
}

/** An 8-bit weight for MatMulInteger and what it dequantizes to. */
export interface Int8Packed {
  /** (K, N) uint8 or int8. */
  readonly W: HostTensor<'u8' | 'i8'>;
  /** Scale: scalar or (N,). */
  readonly scale: HostTensor<'f32'>;
  /** Zero point: scalar or (N,), same dtype as W. */
  readonly zeroPoint: HostTensor<'u8' | 'i8'>;
  /** (N, K) float32: the weight the layer multiplies by. */
  readonly dequantized: Float32Array;
}

/**
 * Quantizes W `(N, K)` (PEFT's (out, in)) to 8 bits, stored transposed `(K, N)` as `quantize_dynamic` does.
 * @param type `u8`: asymmetric uint8; `i8`: symmetric int8 in [−64, 63] (reduce_range).
 */
export function packInt8(w: Float32Array, N: number, K: number, type: 'u8' | 'i8', perChannel = false): Int8Packed {
  const groups = perChannel ? N : 1;
  const scale = new Float32Array(groups);
  const zp = type === 'u8' ? new Uint8Array(groups) : new Int8Array(groups);
  const q = type === 'u8' ? new Uint8Array(K * N) : new Int8Array(K * N);
  const deq = new Float32Array(N * K);
  const [lo, hi] = type === 'u8' ? [0, 255] : [-64, 63];
  for (let g = 0; g < groups; g++) {
    const rows = perChannel ? [g] : Array.from({ length: N }, (_, n) => n);
    const vals = rows.flatMap((n) => Array.from(w.subarray(n * K, (n + 1) * K)));
    let s: number;
    let z: number;
    if (type === 'u8') {
      s = Math.fround((Math.max(0, ...vals) - Math.min(0, ...vals)) / 255 || 1);
      z = clamp(roundEven(-Math.min(0, ...vals) / s), 0, 255);
    } else {
      s = Math.fround(Math.max(...vals.map(Math.abs)) / 63 || 1);
      z = 0;
    }
    scale[g] = s;
    zp[g] = z;
    for (const n of rows) {
      for (let k = 0; k < K; k++) {
        const v = clamp(roundEven(w[n * K + k]! / s) + z, lo, hi);
        q[k * N + n] = v;
        deq[n * K + k] = Math.fround(s * (v - z));
      }
    }
  }
  const shape = perChannel ? [N] : [];
  return {
    W: tensor(type, [K, N], q) as HostTensor<'u8' | 'i8'>,
    scale: tensor('f32', shape, scale),
    zeroPoint: tensor(type, shape, zp) as HostTensor<'u8' | 'i8'>,
    dequantized: deq,
  };
}
