import { deltaWeight, F32_TOL, merge, unmerge } from '@vblora/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuRuntime } from '../src/index.js';
import { as, uniform } from './helpers/data.js';
import { bitExact, expectMatch } from './helpers/exact.js';
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

/** The merge contract: f32 as F32_TOL, halves within one ulp of their dtype. */
function tol(dtype: string) {
  return dtype === 'bf16' ? { atol: 0, rtol: 2 ** -8 } : dtype === 'f16' ? { atol: 0, rtol: 2 ** -11 } : F32_TOL;
}

describe('merge on the GPU', () => {
  const cases = [
    [8, 12, 3, false, 1],
    [33, 70, 5, false, 2],
    [37, 65, 4, true, 3],
    [5, 7, 2, false, 4],
    [6, 9, 32, true, 5],
  ] as const;
  for (const dtype of ['f32', 'bf16', 'f16'] as const) {
    it(`merge/unmerge ${dtype} weights: bit-identical with the reference (SwiftShader)`, async (ctx) => {
      if (rt === undefined || small === undefined) return ctx.skip('no WebGPU adapter');
      for (const runtime of [rt, small]) {
        for (const [outF, inF, r, fif, seed] of cases) {
          const A = uniform([r, inF], seed, 0.5);
          const B = uniform([outF, r], seed + 1, 0.5);
          const W = as(uniform(fif ? [inF, outF] : [outF, inF], seed + 2, 2), dtype);
          const gA = runtime.upload(A);
          const gB = runtime.upload(B);
          const gW = runtime.upload(W);
          for (const [gpu, ref] of [
            [runtime.merge.bind(runtime), merge],
            [runtime.unmerge.bind(runtime), unmerge],
          ] as const) {
            const want = ref({ weight: W, A, B, fanInFanOut: fif });
            const got = await gpu({ weight: gW, A: gA, B: gB, fanInFanOut: fif });
            const host = await got.read();
            expect(host.dtype).toBe(dtype);
            expectMatch(host, want, bitExact(runtime.adapterName), tol(dtype), `${dtype} ${outF}x${inF} r${r}`);
            got.dispose();
          }
          const d = await runtime.deltaWeight({ A: gA, B: gB, fanInFanOut: fif });
          const dh = await d.read();
          expectMatch(dh, deltaWeight({ A, B, fanInFanOut: fif }), bitExact(runtime.adapterName), F32_TOL, 'delta');
          d.dispose();
          gA.dispose();
          gB.dispose();
          gW.dispose();
        }
      }
    });
  }
});
