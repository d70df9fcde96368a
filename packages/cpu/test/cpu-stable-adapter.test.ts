import { describe, expect, it } from 'vitest';
import { setStableAdapterBudget } from '../src/cpu-forward.js';
import {
  createRng,
  isStableAdapter,
  merge,
  mixedBatchForward,
  stableAdapter,
  tensor,
  type HostTensor,
} from '@vblora/core';
import { createCpuBackend } from '../src/index.js';
import { sameBits, sync } from '../../core/test/helpers/bits.js';

// stableAdapter: the cpu backend keeps a stable adapter's transposed factors across mixed batches; results must
// stay bit-identical to the reference however the cache is used, filled, shared with other kernels or restarted.

const rng = createRng(4242);
/** Normal values with a few ±0, ±inf and NaN. */
function t(shape: number[], special = false): HostTensor<'f32'> {
  const n = shape.reduce((a, b) => a * b, 1);
  const pick = () => {
    const u = rng.uniform();
    if (special && u < 0.01) return [0, -0, Number.NaN, Number.POSITIVE_INFINITY][Math.floor(u * 400)]!;
    return rng.normal();
  };
  return tensor('f32', shape, Float32Array.from({ length: n }, pick));
}

describe('cpu backend: mixed batches of stable adapters', () => {
  it('mixedBatchForward with stable adapters: the same bits on the first call, on cached calls, next to other kernels and after the cache starts over', () => {
    const [n, inF, outF] = [13, 29, 18];
    const plain = [4, 1, 9, 4, 2, 6].map((r) => ({ A: t([r, inF]), B: t([outF, r]) }));
    const stable = plain.map((a) => stableAdapter(a));
    expect(stable.every((a) => isStableAdapter(a)) && !isStableAdapter(plain[0]!)).toBe(true);
    const x = t([n, inF], true);
    const baseOut = t([n, outF]);
    const rowAdapter = Int32Array.from([0, 0, 3, -1, 1, 2, 2, 4, -1, 0, 3, 5, 5]);
    const want = mixedBatchForward({ x, baseOut, adapters: plain, rowAdapter });
    const mixed = [stable[0]!, plain[1]!, stable[2]!, stable[3]!, plain[4]!, stable[5]!]; // stable and not, one batch
    const b = createCpuBackend();
    const run = (adapters: typeof plain, rows = rowAdapter) =>
      sync(b.kernels.mixedBatchForward!({ x, baseOut, adapters, rowAdapter: rows }));
    for (const adapters of [stable, stable, mixed, stable]) sameBits(run(adapters), want);
    expect(Array.from(run(plain).data)).toEqual(Array.from(want.data)); // the plain path is untouched
    // other kernels of the same backend in between (they lay out their regions past the cached factors)
    const w = t([outF, inF]);
    sameBits(
      sync(b.kernels.merge!({ weight: w, A: plain[0]!.A, B: plain[0]!.B })),
      merge({ weight: w, A: plain[0]!.A, B: plain[0]!.B }),
    );
    sameBits(run(stable), want);
    // a different shape of adapter under the same wrapper is never served from the cache
    const wide = [stableAdapter({ A: t([4, 2 * inF]), B: t([outF, 4]) })];
    const x2 = t([n, 2 * inF], true);
    const rows0 = new Int32Array(n);
    sameBits(
      sync(b.kernels.mixedBatchForward!({ x: x2, baseOut, adapters: wide, rowAdapter: rows0 })),
      mixedBatchForward({ x: x2, baseOut, adapters: wide, rowAdapter: rows0 }),
    );
    // a small budget: the cache starts over (and a batch whose adapters exceed it transposes them per call)
    const was = setStableAdapterBudget(6000);
    try {
      for (let i = 0; i < 3; i++) {
        for (const adapters of [stable, [...stable].reverse()]) {
          const rows = adapters === stable ? rowAdapter : Int32Array.from(rowAdapter, (a) => (a < 0 ? a : 5 - a));
          sameBits(run(adapters, rows), mixedBatchForward({ x, baseOut, adapters, rowAdapter: rows }));
        }
      }
    } finally {
      setStableAdapterBudget(was);
    }
    // changed in place: a stable wrapper keeps what it had; a new wrapper sees the change
    const changed = { A: tensor('f32', plain[0]!.A.shape, plain[0]!.A.data.slice()), B: plain[0]!.B };
    const wrapper = stableAdapter(changed);
    const before = mixedBatchForward({ x, baseOut, adapters: [changed], rowAdapter: rows0 });
    sameBits(run([wrapper], rows0), before);
    changed.A.data[0] = changed.A.data[0]! + 1;
    sameBits(run([wrapper], rows0), before); // the cached transpose: the change is not seen through this wrapper
    sameBits(
      run([stableAdapter(changed)], rows0),
      mixedBatchForward({ x, baseOut, adapters: [changed], rowAdapter: rows0 }),
    );
  });
});
