import { compareTensors, deltaWeight, F32_TOL, merge, NumericalError, unmerge, type HostTensor } from '@vblora/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuRuntime } from '../src/index.js';
import { as, uniform } from './helpers/data.js';
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

function bits(t: HostTensor): number[] {
  return Array.from(t.data as ArrayLike<number>);
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
    it(`merge/unmerge ${dtype} weights: bit-identical with the reference on SwiftShader`, async (ctx) => {
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
            expect(bits(host)).toEqual(bits(want));
            got.dispose();
          }
          const d = await runtime.deltaWeight({ A: gA, B: gB, fanInFanOut: fif });
          const dh = await d.read();
          expect(compareTensors(dh, deltaWeight({ A, B, fanInFanOut: fif }), { atol: 0, rtol: 0 }).ok).toBe(true);
          d.dispose();
          gA.dispose();
          gB.dispose();
          gW.dispose();
        }
      }
    });
  }
});
