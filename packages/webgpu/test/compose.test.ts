import {
  admixFromTopk,
  compareTensors,
  composeLowRank,
  F32_TOL,
  tensor,
  topkAdmixture,
  type HostTensor,
} from '@vblora/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuRuntime } from '../src/index.js';
import { tiedLogits, uniform } from './helpers/data.js';
import { bitExact, expectMatch } from './helpers/exact.js';
import { openRuntime } from './helpers/gpu.js';

let rt: WebGpuRuntime | undefined;
let small: WebGpuRuntime | undefined;
beforeAll(async () => {
  rt = await openRuntime();
  // 1 KiB bindings: logits, selections and outputs below are split over several buffers
  if (rt !== undefined) small = await openRuntime({ maxBindingBytes: 1024, device: rt.device });
});
afterAll(() => {
  small?.dispose();
  rt?.dispose();
});

function bits(t: HostTensor): number[] {
  return Array.from(t.data as ArrayLike<number>);
}

async function checkTopk(runtime: WebGpuRuntime, logits: HostTensor<'f32'>, bank: HostTensor<'f32'>, k: number) {
  const want = topkAdmixture({ logits, bank, k });
  const got = await runtime.topkAdmixture({ logits: runtime.upload(logits), bank: runtime.upload(bank), k });
  const indices = await got.indices.read();
  const weights = compareTensors(await got.weights.read(), want.weights, F32_TOL);
  const vectors = compareTensors(await got.vectors.read(), want.vectors, F32_TOL);
  for (const t of [got.indices, got.weights, got.vectors]) t.dispose();
  return { indices, want, weights, vectors };
}

describe('topkAdmixture on the GPU', () => {
  it('indices exact (descending, lowest index first on ties), weights and vectors within F32_TOL', async (ctx) => {
    if (rt === undefined || small === undefined) return ctx.skip('no WebGPU adapter');
    for (const [runtime, rows, nv, vl, k, seed] of [
      [rt, 5, 16, 4, 2, 1],
      [rt, 7, 64, 16, 3, 2],
      [rt, 3, 300, 8, 300, 3],
      [rt, 9, 130, 5, 1, 4],
      [small, 40, 20, 6, 3, 5],
      // nv ≥ 512: one workgroup per row (the kernel for real banks) instead of one thread
      [rt, 6, 700, 8, 3, 6],
      [rt, 2, 520, 4, 520, 7],
    ] as const) {
      const { indices, want, weights, vectors } = await checkTopk(
        runtime,
        uniform([rows, nv], seed, 30),
        uniform([nv, vl], seed + 100),
        k,
      );
      expect(bits(indices)).toEqual(bits(want.indices));
      expect(weights.ok, JSON.stringify(weights.worst)).toBe(true);
      expect(vectors.ok, JSON.stringify(vectors.worst)).toBe(true);
      // measured on SwiftShader: weights within 2 ulps (exp), vectors within a few ulps
      expect(weights.maxUlps).toBeLessThanOrEqual(4);
    }
  });

  it('exact ties, ±0, ±inf and NaN rank like torch (NaN first) and give torch’s NaN rows', async (ctx) => {
    if (rt === undefined) return ctx.skip('no WebGPU adapter');
    for (const nv of [40, 600]) {
      const ties = await checkTopk(rt, tiedLogits([20, nv], 5, 3), uniform([nv, 8], 6), 5);
      expect(bits(ties.indices)).toEqual(bits(ties.want.indices));
      if (bitExact(rt.adapterName)) expect(ties.weights.maxUlps).toBe(0); // small integer logits: exp is exact
    }
    const I = Infinity;
    const special = tensor(
      'f32',
      [6, 5],
      Float32Array.from([
        -0,
        0,
        -0,
        0,
        -1, // ±0 are equal: lowest index first
        1,
        NaN,
        2,
        NaN,
        3, // NaN ranks highest: the row is NaN
        -I,
        -I,
        -I,
        -I,
        -I, // only −inf: NaN
        1,
        I,
        2,
        0,
        -1, // +inf: NaN
        -I,
        5,
        -I,
        4,
        -I, // −inf entries get weight 0
        3,
        3,
        3,
        3,
        3,
      ]),
    );
    const r = await checkTopk(rt, special, uniform([5, 3], 7), 3);
    expect(bits(r.indices)).toEqual(bits(r.want.indices));
    expect(r.weights.ok, JSON.stringify(r.weights.worst)).toBe(true);
    expect(r.vectors.ok, JSON.stringify(r.vectors.worst)).toBe(true);
  });

  it('admixFromTopk mixes given indices and weights (any integer index dtype via the backend path)', async (ctx) => {
    if (rt === undefined) return ctx.skip('no WebGPU adapter');
    const bank = uniform([10, 6], 8);
    const indices = tensor('i32', [4, 2], Int32Array.from([0, 9, 3, 3, 5, 1, 2, 8]));
    const weights = uniform([4, 2], 9);
    const want = admixFromTopk({ indices, weights, bank });
    const got = await rt.admixFromTopk({
      indices: rt.upload(indices),
      weights: rt.upload(weights),
      bank: rt.upload(bank),
    });
    expectMatch(await got.read(), want, bitExact(rt.adapterName), F32_TOL, 'admixFromTopk');
  });
});

describe('composeLowRank on the GPU', () => {
  it('A (rank-major) and B (PEFT’s transposed layout) from logits or top-k forms, split and unsplit', async (ctx) => {
    if (rt === undefined || small === undefined) return ctx.skip('no WebGPU adapter');
    for (const runtime of [rt, small]) {
      const bank = uniform([64, 4], 7);
      const logitsA = uniform([4, 9, 64], 8, 5);
      const logitsB = uniform([5, 4, 64], 9, 5);
      const want = composeLowRank({ logitsA, logitsB, bank, k: 2 });
      const g = { logitsA: runtime.upload(logitsA), logitsB: runtime.upload(logitsB), bank: runtime.upload(bank) };
      const got = await runtime.composeLowRank({ ...g, k: 2 });
      expect(compareTensors(await got.A.read(), want.A, F32_TOL).ok).toBe(true);
      expect(compareTensors(await got.B.read(), want.B, F32_TOL).ok).toBe(true);
      // the top-k form of logits B gives B bit for bit
      const sel = await runtime.topkAdmixture({ logits: g.logitsB, bank: g.bank, k: 2 });
      const fromForm = await runtime.composeLowRank({ logitsA: g.logitsA, logitsB: sel, bank: g.bank, k: 2 });
      expect(bits(await fromForm.B.read())).toEqual(bits(await got.B.read()));
      for (const t of [
        got.A,
        got.B,
        fromForm.A,
        fromForm.B,
        sel.indices,
        sel.weights,
        sel.vectors,
        ...Object.values(g),
      ]) {
        t.dispose();
      }
    }
  });
});
