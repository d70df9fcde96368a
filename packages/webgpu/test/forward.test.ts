import { adapterForward, BF16_TOL, F16_TOL, F32_TOL, linear, mixedBatchForward } from '@vblora/core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { WebGpuRuntime } from '../src/index.js';
import { as, uniform } from './helpers/data.js';
import { bitExact, expectMatch } from './helpers/exact.js';
import { openRuntime } from './helpers/gpu.js';

let rt: WebGpuRuntime | undefined;
let small: WebGpuRuntime | undefined;
beforeAll(async () => {
  rt = await openRuntime();
  if (rt !== undefined) small = await openRuntime({ maxBindingBytes: 640, device: rt.device });
});
afterAll(() => {
  small?.dispose();
  rt?.dispose();
});

/** The contract's accuracy for an output of this dtype (applies where the driver fuses multiply-adds). */
function tol(dtype: string) {
  return dtype === 'bf16' ? BF16_TOL : dtype === 'f16' ? F16_TOL : F32_TOL;
}

const DTYPES = ['f32', 'bf16', 'f16'] as const;

describe('forward on the GPU (bit-identical with the reference where multiply-adds are not fused)', () => {
  it('linear, adapterForward and the fused linearWithAdapter, every dtype, split and unsplit', async (ctx) => {
    if (rt === undefined || small === undefined) return ctx.skip('no WebGPU adapter');
    let seed = 10;
    // the small runtime splits x, W and y into several buffers; fan_in_fan_out weights cannot be split (their
    // rows are the summed dimension), so those run unsplit
    for (const [runtime, n, inF, outF, r, fif] of [
      [rt, 3, 8, 6, 2, false],
      [rt, 37, 20, 33, 4, true],
      [rt, 5, 9, 7, 3, false],
      [rt, 40, 24, 70, 3, false], // 32+ rows: the workgroup-tiled flavour
      [small, 37, 20, 33, 4, false],
      [small, 21, 15, 9, 3, false],
    ] as const) {
      {
        for (const dt of DTYPES) {
          seed += 3;
          const x = as(uniform([n, inF], seed), dt);
          const W = as(uniform(fif ? [inF, outF] : [outF, inF], seed + 1, 0.5), DTYPES[seed % 3]!);
          const b = as(uniform([outF], seed + 2, 0.5), DTYPES[(seed + 1) % 3]!);
          const A = uniform([r, inF], seed + 3, 0.5);
          const B = uniform([outF, r], seed + 4, 0.5);
          const g = {
            x: runtime.upload(x),
            W: runtime.upload(W),
            b: runtime.upload(b),
            A: runtime.upload(A),
            B: runtime.upload(B),
          };
          const base = linear({ x, weight: W, bias: b, fanInFanOut: fif });
          const gBase = await runtime.linear({ x: g.x, weight: g.W, bias: g.b, fanInFanOut: fif });
          const exact = bitExact(runtime.adapterName);
          expectMatch(await gBase.read(), base, exact, tol(dt), `linear ${dt} ${n}x${inF}->${outF}`);
          const want = adapterForward({ x, baseOut: base, A, B });
          const y = await runtime.adapterForward({ x: g.x, baseOut: gBase, A: g.A, B: g.B });
          expectMatch(await y.read(), want, exact, tol(dt), `adapterForward ${dt}`);
          const fused = await runtime.linearWithAdapter({
            x: g.x,
            weight: g.W,
            bias: g.b,
            fanInFanOut: fif,
            A: g.A,
            B: g.B,
          });
          expectMatch(await fused.read(), want, exact, tol(dt), `linearWithAdapter ${dt}`);
          const dropout = { p: 0.3, seed: 99 };
          const wantDrop = adapterForward({ x, baseOut: base, A, B, dropout });
          const yDrop = await runtime.adapterForward({ x: g.x, baseOut: gBase, A: g.A, B: g.B, dropout });
          expectMatch(await yDrop.read(), wantDrop, exact, tol(dt), `adapterForward dropout ${dt}`);
          for (const t of [gBase, y, fused, yDrop, ...Object.values(g)]) t.dispose();
        }
      }
    }
  });

  it('mixedBatchForward: a different adapter (or none) per row, ranks differing', async (ctx) => {
    if (rt === undefined || small === undefined) return ctx.skip('no WebGPU adapter');
    for (const runtime of [rt, small]) {
      for (const dt of DTYPES) {
        const n = 30;
        const inF = 10;
        const outF = 7;
        const x = as(uniform([n, inF], 3), dt);
        const baseOut = as(uniform([n, outF], 4), DTYPES[(DTYPES.indexOf(dt) + 1) % 3]!);
        const adapters = [2, 5, 1].map((r, j) => ({
          A: uniform([r, inF], 20 + j, 0.5),
          B: uniform([outF, r], 30 + j, 0.5),
        }));
        const rowAdapter = Int32Array.from({ length: n }, (_, i) => ((i * 7) % 4) - 1);
        const want = mixedBatchForward({ x, baseOut, adapters, rowAdapter });
        const gAdapters = adapters.map((a) => ({ A: runtime.upload(a.A), B: runtime.upload(a.B) }));
        const set = runtime.packAdapters(gAdapters);
        const gx = runtime.upload(x);
        const gb = runtime.upload(baseOut);
        const y = await runtime.mixedBatchForward({ x: gx, baseOut: gb, adapters: set, rowAdapter });
        const exact = bitExact(runtime.adapterName);
        expectMatch(await y.read(), want, exact, tol(dt), `mixed ${dt}`);
        const y2 = await runtime.mixedBatchForward({ x: gx, baseOut: gb, adapters: gAdapters, rowAdapter });
        expectMatch(await y2.read(), want, exact, tol(dt), `mixed (unpacked) ${dt}`);
        for (const t of [y, y2, gx, gb, ...gAdapters.flatMap((a) => [a.A, a.B])]) t.dispose();
        set.dispose();
      }
    }
  });
});
