/**
 * The toy models' GPU building blocks on their own: single-head attention against plain float64 loops, and the
 * element-wise relu / add against JavaScript, bit for bit.
 *
 * Accuracy: attention F32_TOL (1e-6 + 1e-5·|e|) vs float64. Measured max abs error on SwiftShader: 1.2e-7 at
 * (2, 5, 64) with O(1) inputs, 1.6e-6 at (3, 7, 12) with inputs up to 4 (outputs up to 4: within the rtol term).
 * relu and add: exact (one float32 operation or none per element).
 */
import { compareTensors, F32_TOL, ShapeError, tensor, type HostTensor } from '@vblora/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpuTensorError, type WebGpuRuntime } from '../src/index.js';
import { gpuAttention } from '../src/ops/attention.js';
import { gpuAdd, gpuRelu } from '../src/ops/elementwise.js';
import { uniform } from './helpers/data.js';
import { openRuntime } from './helpers/gpu.js';

let rt: WebGpuRuntime | undefined;
let small: WebGpuRuntime | undefined;
beforeAll(async () => {
  rt = await openRuntime();
  if (rt !== undefined) small = await openRuntime({ maxBindingBytes: 256, device: rt.device });
});
afterAll(() => {
  small?.dispose();
  rt?.dispose();
});

/** softmax(q·kᵀ/√d)·v over (batch, seq, d), in float64: the specification. */
function attentionReference(q: HostTensor<'f32'>, k: HostTensor<'f32'>, v: HostTensor<'f32'>): HostTensor<'f32'> {
  const [d, seq] = [q.shape[q.shape.length - 1]!, q.shape[q.shape.length - 2]!];
  const rows = q.data.length / d;
  const out = new Float32Array(q.data.length);
  for (let row = 0; row < rows; row++) {
    const b0 = Math.floor(row / seq) * seq; // first key row of this batch entry
    const s = new Float64Array(seq); // s[j] = q[row]·k[b0 + j] / √d
    for (let j = 0; j < seq; j++) {
      for (let c = 0; c < d; c++) s[j]! += q.data[row * d + c]! * k.data[(b0 + j) * d + c]!;
      s[j]! /= Math.sqrt(d);
    }
    const m = Math.max(...s);
    const e = s.map((x) => Math.exp(x - m));
    const total = e.reduce((a, b) => a + b, 0);
    for (let c = 0; c < d; c++) {
      let acc = 0;
      for (let j = 0; j < seq; j++) acc += (e[j]! / total) * v.data[(b0 + j) * d + c]!;
      out[row * d + c] = acc;
    }
  }
  return tensor('f32', q.shape, out);
}

describe('attention on the GPU (F32_TOL vs float64 loops)', () => {
  it('matches softmax(q·kᵀ/√d)·v for several shapes, with large scores', async (ctx) => {
    if (rt === undefined) return ctx.skip('no WebGPU adapter');
    for (const [shape, scale, seed] of [
      [[2, 5, 64], 1, 1],
      [[3, 7, 12], 4, 2], // √12 is not a power of two: scale = fround(1/√12)
      [[1, 1, 8], 1, 3], // one key: every weight is 1
      [[9, 16], 3, 4], // no batch dimension
    ] as const) {
      const [q, k, v] = [0, 1, 2].map((i) => uniform(shape, seed * 10 + i, scale));
      const g = [q!, k!, v!].map((t) => rt!.upload(t));
      const out = await gpuAttention(rt, g[0]!, g[1]!, g[2]!);
      const r = compareTensors(await out.read(), attentionReference(q!, k!, v!), F32_TOL);
      expect(r.ok, `${shape.join('x')}: ${JSON.stringify(r.worst)}`).toBe(true);
      for (const t of [...g, out]) t.dispose();
    }
  });

  it('a row with a NaN or infinite score is NaN (torch); other rows are untouched', async (ctx) => {
    if (rt === undefined) return ctx.skip('no WebGPU adapter');
    const q = uniform([1, 3, 4], 5);
    const k = uniform([1, 3, 4], 6);
    const v = uniform([1, 3, 4], 7);
    const qBad = tensor('f32', q.shape, q.data.slice());
    qBad.data[0] = NaN; // row 0: every score NaN
    qBad.data[4] = Infinity; // row 1: ±inf scores
    const g = [qBad, k, v].map((t) => rt!.upload(t));
    const out = await (await gpuAttention(rt, g[0]!, g[1]!, g[2]!)).read();
    expect(Array.from(out.data.slice(0, 8)).every(Number.isNaN)).toBe(true);
    const want = attentionReference(q, k, v);
    const r = compareTensors(tensor('f32', [4], out.data.slice(8)), tensor('f32', [4], want.data.slice(8)), F32_TOL);
    expect(r.ok).toBe(true);
    for (const t of g) t.dispose();
  });

  it('refuses mismatched shapes with ShapeError', async (ctx) => {
    if (rt === undefined) return ctx.skip('no WebGPU adapter');
    const a = rt.upload(uniform([2, 3, 4], 1));
    const b = rt.upload(uniform([2, 4, 4], 2));
    const flat = rt.upload(uniform([4], 3));
    await expect(gpuAttention(rt, a, b, a)).rejects.toThrow(ShapeError);
    await expect(gpuAttention(rt, flat, flat, flat)).rejects.toThrow(ShapeError);
    for (const t of [a, b, flat]) t.dispose();
  });

  it('refuses inputs or probabilities over one buffer binding with GpuTensorError, leaking nothing', async (ctx) => {
    if (small === undefined) return ctx.skip('no WebGPU adapter');
    const live = small.stats().liveBuffers;
    const split = small.upload(uniform([1, 3, 30], 1)); // 360 bytes over 256-byte bindings: two buffers
    await expect(gpuAttention(small, split, split, split)).rejects.toThrow(/spans 2 buffers/);
    const long = small.upload(uniform([1, 9, 4], 2)); // 144 bytes fit, the 9 × 9 probabilities (324) do not
    await expect(gpuAttention(small, long, long, long)).rejects.toThrow(GpuTensorError);
    await expect(gpuAttention(small, long, long, long)).rejects.toThrow(/probabilities .* exceed one buffer binding/);
    split.dispose();
    long.dispose();
    expect(small.stats().liveBuffers).toBe(live);
  });
});

describe('relu and add on the GPU (exact)', () => {
  const special = [-0, 0, -1.5, 2.5, -Infinity, Infinity, NaN, -NaN, 1e-45, -1e-45, 3.4e38];

  it('relu: negatives, −0 and −inf to +0, NaN kept; add: float32 sums; split into several buffers too', async (ctx) => {
    if (rt === undefined || small === undefined) return ctx.skip('no WebGPU adapter');
    for (const runtime of [rt, small]) {
      const n = 7 * 30; // the small runtime splits 7 rows of 30 floats (120 bytes) into 4 buffers
      const a = uniform([7, 30], 11, 4);
      const b = uniform([7, 30], 12, 4);
      special.forEach((s, i) => (a.data[i * 13] = s));
      const [ga, gb] = [runtime.upload(a), runtime.upload(b)];
      if (runtime === small) expect(ga.chunks.length).toBeGreaterThan(1);
      const relu = await (await gpuRelu(runtime, ga)).read();
      const sum = await (await gpuAdd(runtime, ga, gb)).read();
      for (let i = 0; i < n; i++) {
        const x = a.data[i]!;
        const want = Number.isNaN(x) ? NaN : x > 0 ? x : 0;
        expect(Object.is(relu.data[i], want), `relu(${x}) = ${relu.data[i]}`).toBe(true);
        expect(Object.is(sum.data[i], Math.fround(x + b.data[i]!)), `add at ${i}`).toBe(true);
      }
      ga.dispose();
      gb.dispose();
    }
  });

  it('add refuses operands of different shapes', async (ctx) => {
    if (rt === undefined) return ctx.skip('no WebGPU adapter');
    const a = rt.upload(uniform([2, 3], 1));
    const b = rt.upload(uniform([3, 2], 2));
    await expect(gpuAdd(rt, a, b)).rejects.toThrow(ShapeError);
    a.dispose();
    b.dispose();
  });
});
