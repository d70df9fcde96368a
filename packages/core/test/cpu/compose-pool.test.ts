import { describe, expect, it } from 'vitest';
import { AdapterError, allocatePairs, composeAdapter, createCpuBackend, NumericalError, ShapeError, tensor, UnsupportedError, type VBLoRAAdapter } from '../../src/index.js';
import { createComposePool } from '../../src/node.js';
import { smallAdapter } from '../helpers/small-adapter.js';

// The compose pool from TypeScript sources composes in this thread (worker threads need the compiled package:
// test/cpu/worker-pools.test.ts runs it on 2 workers), but the same way: kernels instantiated on the shared
// memory of the pairs, scratch reserved past them, factors copied in, A and B written in place.

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

async function expectSameAsCpu(adapter: VBLoRAAdapter, got: Map<string, { A: { data: Float32Array }; B: { data: Float32Array } }>): Promise<void> {
  const want = await composeAdapter(adapter, { backend: createCpuBackend() });
  expect([...got.keys()]).toEqual([...want.keys()]);
  for (const [path, pair] of want) {
    expect(bits(got.get(path)!.A.data), `${path}.A`).toEqual(bits(pair.A.data));
    expect(bits(got.get(path)!.B.data), `${path}.B`).toEqual(bits(pair.B.data));
  }
}

describe('createComposePool (in this thread, from sources)', () => {
  it('gives the cpu backend bits for top-k and full logits, r 3 and 4, into shared pairs it reuses', async () => {
    const pool = createComposePool(1);
    try {
      expect(pool.threads).toBe(1);
      for (const r of [3, 4]) {
        for (const flavour of ['topk', 'full'] as const) {
          const first = smallAdapter(10 + r, flavour, undefined, r);
          const fresh = await pool.compose(first);
          expect(fresh.get('layers.0.proj')!.A.data.buffer).toBeInstanceOf(SharedArrayBuffer);
          await expectSameAsCpu(first, fresh);
          // another adapter of the same shapes into the same arrays
          const second = smallAdapter(20 + r, flavour, undefined, r);
          const again = await pool.compose(second, { into: fresh });
          expect(again.get('layers.1.proj')!.B.data).toBe(fresh.get('layers.1.proj')!.B.data);
          await expectSameAsCpu(second, again);
        }
      }
    } finally {
      await pool.close();
    }
  });

  it('grows its scratch for a larger adapter, composes a subset, and reports progress per module', async () => {
    const pool = createComposePool(1);
    try {
      const small = smallAdapter(1, 'topk', [[1, 1]]);
      await expectSameAsCpu(small, await pool.compose(small));
      const large = smallAdapter(2, 'full', [[6, 9], [9, 2], [1, 1]], 4);
      const into = allocatePairs(large, { shared: true });
      const seen: string[] = [];
      await pool.compose(large, { into, onProgress: (done, total, path) => seen.push(`${done}/${total} ${path}`) });
      await expectSameAsCpu(large, into);
      expect(seen).toEqual(['1/3 layers.0.proj', '2/3 layers.1.proj', '3/3 layers.2.proj']);
      const sub = await pool.compose(large, { modules: ['layers.1.proj'] });
      expect([...sub.keys()]).toEqual(['layers.1.proj']);
      expect(bits(sub.get('layers.1.proj')!.B.data)).toEqual(bits(into.get('layers.1.proj')!.B.data));
    } finally {
      await pool.close();
    }
  });

  it('refuses into that is not shared, misses a module or has a wrong shape, and bad factors, with typed errors', async () => {
    const pool = createComposePool(1);
    try {
      const adapter = smallAdapter(3, 'topk');
      await expect(pool.compose(adapter, { into: allocatePairs(adapter) })).rejects.toThrow(UnsupportedError);
      await expect(pool.compose(adapter, { into: allocatePairs(adapter, { shared: true, modules: ['layers.0.proj'] }) })).rejects.toThrow(AdapterError);
      await expect(pool.compose(adapter, { modules: ['nope'] })).rejects.toThrow(AdapterError);
      const other = allocatePairs(smallAdapter(3, 'topk', [[2, 3], [3, 2], [1, 2]]), { shared: true });
      await expect(pool.compose(adapter, { into: other })).rejects.toThrow(ShapeError);
      const m = adapter.modules.get('layers.2.proj')!;
      if (m.a.kind !== 'topk') throw new Error('fixture');
      const broken = new Map(adapter.modules);
      broken.set(m.path, { ...m, a: { ...m.a, weights: tensor('f32', m.a.weights.shape, Float32Array.from(m.a.weights.data as Float32Array, (v, i) => (i === 1 ? Number.NaN : v))) } });
      await expect(pool.compose({ ...adapter, modules: broken })).rejects.toThrow(NumericalError);
      await expectSameAsCpu(adapter, await pool.compose(adapter)); // usable after a failure
    } finally {
      await pool.close();
    }
  });
});
