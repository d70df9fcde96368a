import { admixtureBackward, compareTensors, composeBackward, F32_TOL } from '@vblora/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuRuntime } from '../src/index.js';
import { uniform } from './helpers/data.js';
import { openRuntime } from './helpers/gpu.js';

let rt: WebGpuRuntime | undefined;
beforeAll(async () => {
  rt = await openRuntime();
});
afterAll(() => rt?.dispose());

describe('backward on the GPU', () => {
  it('admixtureBackward within F32_TOL of the float64 reference', async (ctx) => {
    if (rt === undefined) return ctx.skip('no WebGPU adapter');
    for (const [rows, nv, vl, k, seed] of [
      [6, 16, 8, 2, 1],
      [40, 64, 16, 3, 2],
      [5, 30, 7, 30, 3],
      [9, 100, 256, 2, 4],
    ] as const) {
      const logits = uniform([rows, nv], seed, 5);
      const bank = uniform([nv, vl], seed + 1);
      const gradVectors = uniform([rows, vl], seed + 2);
      const want = admixtureBackward({ logits, bank, k, gradVectors });
      const got = await rt.admixtureBackward({ logits: rt.upload(logits), bank: rt.upload(bank), k, gradVectors: rt.upload(gradVectors) });
      const gl = compareTensors(await got.gradLogits.read(), want.gradLogits, F32_TOL);
      const gb = compareTensors(await got.gradBank.read(), want.gradBank, F32_TOL);
      console.log(rows, nv, vl, k, 'gl', gl.maxAbs, gl.maxUlps, 'gb', gb.maxAbs, gb.maxUlps);
      expect(gl.ok, JSON.stringify(gl.worst)).toBe(true);
      expect(gb.ok, JSON.stringify(gb.worst)).toBe(true);
    }
  });

  it('composeBackward', async (ctx) => {
    if (rt === undefined) return ctx.skip('no WebGPU adapter');
    const bank = uniform([64, 16], 7);
    const logitsA = uniform([4, 3, 64], 8, 5);
    const logitsB = uniform([5, 4, 64], 9, 5);
    const gradA = uniform([4, 48], 10);
    const gradB = uniform([80, 4], 11);
    const want = composeBackward({ logitsA, logitsB, bank, k: 2, gradA, gradB });
    const u = (t: typeof bank) => rt!.upload(t);
    const got = await rt.composeBackward({ logitsA: u(logitsA), logitsB: u(logitsB), bank: u(bank), k: 2, gradA: u(gradA), gradB: u(gradB) });
    for (const key of ['gradLogitsA', 'gradLogitsB', 'gradBank'] as const) {
      const c = compareTensors(await got[key].read(), want[key], F32_TOL);
      console.log(key, c.maxAbs, c.maxUlps);
      expect(c.ok).toBe(true);
    }
  });
});
