import { describe, expect, it } from 'vitest';
import {
  allocatePairs,
  composeAdapter,
  defineBackend,
  NumericalError,
  referenceBackend,
  ShapeError,
  type Backend,
} from '@vblora/core';
import { createCpuBackend } from '../src/index.js';
import { canonical } from '../../core/test/helpers/bits.js';
import { adapterOf, sameRawBits, SHAPES } from './helpers/whole-adapters.js';

// The cpu backend's composeAll capability (one WebAssembly call for every module of an adapter) against the
// per-module path (the same backend without the capability: a reload and a compose kernel call per module), bit
// for bit (tolerance: none, NaN payloads included), and against the reference backend (NaN as NaN).

/** The cpu backend, and the same backend whose composeAll calls are counted with what they returned. */
function backends(): { cpu: Backend; perModule: Backend; counted: Backend; results: boolean[] } {
  const cpu = createCpuBackend();
  const all = cpu.capabilities!.composeAll!;
  const results: boolean[] = [];
  const counted = defineBackend({
    ...cpu,
    capabilities: {
      ...cpu.capabilities,
      composeAll: {
        run: async (modules, bank, k) => {
          const done = await all.run(modules, bank, k);
          results.push(done);
          return done;
        },
      },
    },
  });
  const { composeAll: _, ...others } = cpu.capabilities!;
  const perModule = defineBackend({ ...cpu, capabilities: others });
  return { cpu, perModule, counted, results };
}

describe('cpu composeAll: whole adapters in one call, bit-identical to the per-module path', () => {
  for (const [label, shape] of Object.entries(SHAPES)) {
    it(`${label}`, async () => {
      const { perModule, counted, results } = backends();
      const first = adapterOf(shape);
      const second = adapterOf(shape); // same shapes, other values: the same pairs again
      const intoAll = allocatePairs(first, { backend: counted });
      const intoModules = allocatePairs(first, { backend: perModule });
      for (const adapter of [first, second]) {
        const got = await composeAdapter(adapter, { backend: counted, into: intoAll });
        const want = await composeAdapter(adapter, { backend: perModule, into: intoModules });
        sameRawBits(got, want);
        for (const [path, pair] of got) expect(pair.A.data).toBe(intoAll.get(path)!.A.data);
        const ref = await composeAdapter(adapter, { backend: referenceBackend });
        for (const [path, pair] of got) {
          expect(canonical(pair.A)).toEqual(canonical(ref.get(path)!.A));
          expect(canonical(pair.B)).toEqual(canonical(ref.get(path)!.B));
        }
      }
      // the capability composed both adapters (it did not decline into the per-module path)
      expect(results).toEqual([true, true]);
    });
  }

  it('a subset of modules, in the given order, into shared pairs memory', async () => {
    const { perModule, counted, results } = backends();
    const adapter = adapterOf(SHAPES['k 2 top-k, r 4 (the r = 4 path), vl 8']!);
    const modules = ['layers.3.proj', 'layers.1.proj'];
    const into = allocatePairs(adapter, { backend: counted, shared: true });
    expect(into.get('layers.0.proj')!.A.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    const got = await composeAdapter(adapter, { backend: counted, into, modules });
    const want = await composeAdapter(adapter, { backend: perModule, into: allocatePairs(adapter), modules });
    sameRawBits(got, want);
    expect(results).toEqual([true]);
  });

  it('declines pairs outside a pairs memory (plain arrays): the per-module path composes them', async () => {
    const { perModule, counted, results } = backends();
    const adapter = adapterOf(SHAPES['k 3 top-k, r 5, vl 12']!);
    const got = await composeAdapter(adapter, { backend: counted, into: allocatePairs(adapter) });
    sameRawBits(got, await composeAdapter(adapter, { backend: perModule }));
    expect(results).toEqual([false]);
  });

  it('bad inputs: declined, and the per-module path throws its errors (a stored weight outside [0, 1], an index outside [0, nv))', async () => {
    const { perModule, counted, results } = backends();
    const shape = SHAPES['k 2 top-k, r 4 (the r = 4 path), vl 8']!;
    const badWeight = adapterOf(shape);
    const m = badWeight.modules.get('layers.2.proj')!;
    if (m.b.kind !== 'topk') throw new Error('top-k expected');
    (m.b.weights.data as Float32Array)[3] = 1.5;
    const into = allocatePairs(badWeight, { backend: counted });
    const want = await composeAdapter(badWeight, { backend: perModule }).catch((e: unknown) => e);
    expect(want).toBeInstanceOf(NumericalError);
    await expect(composeAdapter(badWeight, { backend: counted, into })).rejects.toThrow((want as Error).message);

    const badIndex = adapterOf(shape);
    const a = badIndex.modules.get('layers.1.proj')!.a;
    if (a.kind !== 'topk') throw new Error('top-k expected');
    (a.indices.data as Int32Array)[5] = shape.nv;
    const wantIndex = await composeAdapter(badIndex, { backend: perModule }).catch((e: unknown) => e);
    expect(wantIndex).toBeInstanceOf(ShapeError);
    await expect(composeAdapter(badIndex, { backend: counted, into })).rejects.toThrow((wantIndex as Error).message);
    expect(results).toEqual([false, false]);
  });
});
