import { composeLowRank, compareTensors, F32_TOL, topkAdmixture } from '@vblora/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuRuntime } from '../src/index.js';
import { openRuntime } from './helpers/gpu.js';
import { tiedLogits, uniform } from './helpers/data.js';

let rt: WebGpuRuntime | undefined;
beforeAll(async () => {
  rt = await openRuntime();
});
afterAll(() => rt?.dispose());

describe('compose on the GPU', () => {
  it('topkAdmixture matches the reference (indices exact, weights/vectors within F32_TOL)', async (ctx) => {
    if (rt === undefined) return ctx.skip('no WebGPU adapter');
    for (const [rows, nv, vl, k, seed] of [
      [5, 16, 4, 2, 1],
      [7, 64, 16, 3, 2],
      [3, 300, 8, 300, 3],
      [9, 130, 5, 1, 4],
    ] as const) {
      const logits = uniform([rows, nv], seed, 30);
      const bank = uniform([nv, vl], seed + 100);
      const want = topkAdmixture({ logits, bank, k });
      const got = await rt.topkAdmixture({ logits: rt.upload(logits), bank: rt.upload(bank), k });
      const idx = await got.indices.read();
      expect(Array.from(idx.data)).toEqual(Array.from(want.indices.data));
      const w = compareTensors(await got.weights.read(), want.weights, F32_TOL);
      const v = compareTensors(await got.vectors.read(), want.vectors, F32_TOL);
      console.log(rows, nv, k, 'w', w.maxUlps, 'v', v.maxUlps);
      expect(w.ok).toBe(true);
      expect(v.ok).toBe(true);
    }
  });

  it('ties', async (ctx) => {
    if (rt === undefined) return ctx.skip('no WebGPU adapter');
    const logits = tiedLogits([20, 40], 5, 3);
    const bank = uniform([40, 8], 6);
    const want = topkAdmixture({ logits, bank, k: 5 });
    const got = await rt.topkAdmixture({ logits: rt.upload(logits), bank: rt.upload(bank), k: 5 });
    expect(Array.from((await got.indices.read()).data)).toEqual(Array.from(want.indices.data));
    const w = compareTensors(await got.weights.read(), want.weights, F32_TOL);
    console.log('ties w', w.maxUlps);
  });

  it('compose', async (ctx) => {
    if (rt === undefined) return ctx.skip('no WebGPU adapter');
    const bank = uniform([64, 16], 7);
    const logitsA = uniform([4, 3, 64], 8, 5);
    const logitsB = uniform([5, 4, 64], 9, 5);
    const want = composeLowRank({ logitsA, logitsB, bank, k: 2 });
    const got = await rt.composeLowRank({ logitsA: rt.upload(logitsA), logitsB: rt.upload(logitsB), bank: rt.upload(bank), k: 2 });
    const a = compareTensors(await got.A.read(), want.A, F32_TOL);
    const b = compareTensors(await got.B.read(), want.B, F32_TOL);
    console.log('A', a.maxUlps, 'B', b.maxUlps, rt.stats());
    expect(a.ok && b.ok).toBe(true);
  });
});
