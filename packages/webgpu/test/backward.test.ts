import { admixtureBackward, compareTensors, composeBackward, F32_TOL } from '@vblora/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuRuntime } from '../src/index.js';
import { uniform } from './helpers/data.js';
import { openRuntime } from './helpers/gpu.js';

let rt: WebGpuRuntime | undefined;
let small: WebGpuRuntime | undefined;
beforeAll(async () => {
  rt = await openRuntime();
  if (rt !== undefined) small = await openRuntime({ maxBindingBytes: 2048, device: rt.device });
});
afterAll(() => {
  small?.dispose();
  rt?.dispose();
});

describe('backward on the GPU', () => {
  it('admixtureBackward within F32_TOL of the float64 reference (max abs error ≤ 1e-6 at vl 256)', async (ctx) => {
    if (rt === undefined || small === undefined) return ctx.skip('no WebGPU adapter');
    for (const [runtime, rows, nv, vl, k, seed] of [
      [rt, 6, 16, 8, 2, 1],
      [rt, 40, 64, 16, 3, 2],
      [rt, 5, 30, 7, 30, 3],
      [rt, 9, 100, 256, 2, 4],
      [small, 50, 12, 16, 2, 5],
    ] as const) {
      const logits = uniform([rows, nv], seed, 5);
      const bank = uniform([nv, vl], seed + 1);
      const gradVectors = uniform([rows, vl], seed + 2);
      const want = admixtureBackward({ logits, bank, k, gradVectors });
      const got = await runtime.admixtureBackward({
        logits: runtime.upload(logits),
        bank: runtime.upload(bank),
        k,
        gradVectors: runtime.upload(gradVectors),
      });
      const gl = compareTensors(await got.gradLogits.read(), want.gradLogits, F32_TOL);
      const gb = compareTensors(await got.gradBank.read(), want.gradBank, F32_TOL);
      expect(gl.ok, JSON.stringify(gl.worst)).toBe(true);
      expect(gb.ok, JSON.stringify(gb.worst)).toBe(true);
      expect(Math.max(gl.maxAbs, gb.maxAbs)).toBeLessThanOrEqual(1e-6);
    }
  });

  it('composeBackward: both logits gradients and the shared bank gradient, split and unsplit', async (ctx) => {
    if (rt === undefined || small === undefined) return ctx.skip('no WebGPU adapter');
    for (const runtime of [rt, small]) {
      const bank = uniform([32, 8], 7);
      const logitsA = uniform([4, 3, 32], 8, 5);
      const logitsB = uniform([5, 4, 32], 9, 5);
      const gradA = uniform([4, 24], 10);
      const gradB = uniform([40, 4], 11);
      const want = composeBackward({ logitsA, logitsB, bank, k: 2, gradA, gradB });
      const u = (t: typeof bank) => runtime.upload(t);
      const got = await runtime.composeBackward({
        logitsA: u(logitsA),
        logitsB: u(logitsB),
        bank: u(bank),
        k: 2,
        gradA: u(gradA),
        gradB: u(gradB),
      });
      for (const key of ['gradLogitsA', 'gradLogitsB', 'gradBank'] as const) {
        const c = compareTensors(await got[key].read(), want[key], F32_TOL);
        expect(c.ok, `${key} ${JSON.stringify(c.worst)}`).toBe(true);
      }
    }
  });
});
