/**
 * 4-bit block quantization (`MatMulNBits`): dequantization equals onnxruntime's own (one-hot inputs through a
 * MatMulNBits node, bit for bit), quantization equals an independent implementation of MLAS's rule, and the rule
 * of a quantized weight is recognised. Accuracy: exact (codes, scales and zero points compared bit for bit).
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { createRng, f16ArrayToF32, f32ArrayToF16, tensor } from '@vblora/core';
import { encodeOnnxModel, GraphBuilder } from '@vblora/onnx';
import { dequantizeQ4, detectQ4Rule, quantizeQ4, type Q4Data } from '../src/merge/requantize-q4.js';
import { QUIET } from './helpers/ort.js';
import { refDequantizeQ4, refQuantizeQ4 } from './helpers/ref-quantizers.js';

/** Values with −0 as +0 (a product (q − zp)·scale is −0 for a negative scale; a matmul's sum is +0). */
const values = (a: Float32Array): number[] => Array.from(a, (v) => v + 0);

function randomWeight(seed: number, n: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal() * 0.05);
}

/** Runs X = I_K through MatMulNBits: Y (K, N) = Wᵀ, onnxruntime's dequantized weight. */
async function ortWeight(q: Q4Data, f16: boolean): Promise<Float32Array> {
  const { n: N, k: K, blockSize } = q;
  const g = new GraphBuilder();
  const dtype = f16 ? 'f16' : 'f32';
  const x = g.input('x', dtype, [K, K]);
  const b = g.init('B', tensor('u8', [N, Math.ceil(K / blockSize), blockSize / 2], q.packed));
  const s = g.init(
    'scales',
    f16 ? tensor('f16', [q.scales.length], f32ArrayToF16(q.scales)) : tensor('f32', [q.scales.length], q.scales),
  );
  const inputs = [x, b, s];
  if (q.zeroPoints !== null) inputs.push(g.init('zp', tensor('u8', [q.zeroPoints.length], q.zeroPoints)));
  g.op(
    'MatMulNBits',
    inputs,
    { K: { i: K }, N: { i: N }, bits: { i: 4 }, block_size: { i: blockSize } },
    { domain: 'com.microsoft', outputs: ['y'] },
  );
  g.output('y', dtype, [K, N]);
  const model = g.model();
  model.opsetImport!.push({ domain: 'com.microsoft', version: 1 });
  const session = await ort.InferenceSession.create(encodeOnnxModel(model), QUIET);
  try {
    const eye = new Float32Array(K * K);
    for (let i = 0; i < K; i++) eye[i * K + i] = 1;
    const feed = f16 ? new ort.Tensor('float16', f32ArrayToF16(eye), [K, K]) : new ort.Tensor('float32', eye, [K, K]);
    const y = (await session.run({ x: feed }))['y']!;
    const yt = f16 ? f16ArrayToF32(y.data as Uint16Array) : (y.data as Float32Array);
    const w = new Float32Array(N * K);
    for (let i = 0; i < K; i++) for (let j = 0; j < N; j++) w[j * K + i] = yt[i * N + j]!;
    return w;
  } finally {
    await session.release();
  }
}

const CASES = [
  { id: 'q4-s1-n8-k64-b32-signed', seed: 1, N: 8, K: 64, block: 32, zeroPoints: false, rule: 'signed-max' as const },
  { id: 'q4-s2-n6-k48-b16-zp', seed: 2, N: 6, K: 48, block: 16, zeroPoints: true, rule: 'signed-max' as const },
  { id: 'q4-s3-n5-k40-b32-absmax', seed: 3, N: 5, K: 40, block: 32, zeroPoints: false, rule: 'abs-max' as const },
  {
    id: 'q4-s4-n7-k96-b32-zp-odd-blocks',
    seed: 4,
    N: 7,
    K: 96,
    block: 32,
    zeroPoints: true,
    rule: 'signed-max' as const,
  },
];

describe('4-bit block quantization', () => {
  for (const c of CASES) {
    it(`${c.id}: quantizeQ4 equals the independent quantizer bit for bit, and the rule is recognised`, () => {
      const w = randomWeight(c.seed, c.N * c.K);
      const ref = refQuantizeQ4(w, c.N, c.K, c.block, { zeroPoints: c.zeroPoints, rule: c.rule, f16Scales: false });
      const q = quantizeQ4(w, c.N, c.K, c.block, { zeroPoints: c.zeroPoints, symmetric: c.rule, scaleDtype: 'f32' });
      expect(Buffer.from(q.packed).equals(Buffer.from(ref.packed))).toBe(true);
      expect(Array.from(q.scales)).toEqual(Array.from(ref.scales));
      expect(q.zeroPoints === null ? null : Array.from(q.zeroPoints)).toEqual(
        ref.zeroPoints === null ? null : Array.from(ref.zeroPoints),
      );
      expect(Array.from(dequantizeQ4(q))).toEqual(Array.from(refDequantizeQ4(ref, c.N, c.K, c.block)));
      if (!c.zeroPoints) expect(detectQ4Rule(q)).toBe(c.rule);
    });

    it(`${c.id}: dequantizeQ4 is onnxruntime's MatMulNBits weight, bit for bit`, async () => {
      const w = randomWeight(c.seed, c.N * c.K);
      const q = quantizeQ4(w, c.N, c.K, c.block, { zeroPoints: c.zeroPoints, symmetric: c.rule, scaleDtype: 'f32' });
      expect(values(await ortWeight(q, false))).toEqual(values(dequantizeQ4(q)));
    });
  }

  it('q4f16-s5-n8-k64-b32: float16 scales are the float32 ones rounded; onnxruntime agrees within one float16 rounding', async () => {
    const w = randomWeight(5, 8 * 64);
    const q32 = quantizeQ4(w, 8, 64, 32, { zeroPoints: false, symmetric: 'signed-max', scaleDtype: 'f32' });
    const q16 = quantizeQ4(w, 8, 64, 32, { zeroPoints: false, symmetric: 'signed-max', scaleDtype: 'f16' });
    const ref = refQuantizeQ4(w, 8, 64, 32, { zeroPoints: false, rule: 'signed-max', f16Scales: true });
    expect(Buffer.from(q16.packed).equals(Buffer.from(q32.packed))).toBe(true); // codes of the float32 scales
    expect(Array.from(q16.scales)).toEqual(Array.from(ref.scales));
    // onnxruntime computes in float16 here: its output is our float32 weight rounded to float16
    const deq = dequantizeQ4(q16);
    const rounded = f16ArrayToF32(f32ArrayToF16(deq));
    expect(values(await ortWeight(q16, true))).toEqual(values(rounded));
  });

  it('q4-s6: a block of zeros quantizes to the zero point with scale 0', () => {
    const w = new Float32Array(2 * 32);
    w.fill(0.25, 32); // row 1 non-zero
    const q = quantizeQ4(w, 2, 32, 32, { zeroPoints: false, symmetric: 'signed-max', scaleDtype: 'f32' });
    expect(Math.abs(q.scales[0]!)).toBe(0);
    expect(values(dequantizeQ4(q).subarray(0, 32))).toEqual(new Array(32).fill(0));
    expect(Array.from(dequantizeQ4(q).subarray(32))).toEqual(new Array(32).fill(0.25));
  });
});
