import { describe, expect, it } from 'vitest';
import {
  AdapterError,
  allocatePairs,
  composeAdapter,
  composeLowRank,
  defineBackend,
  referenceBackend,
  ShapeError,
  tensor,
  type LowRankPair,
} from '../../src/index.js';
import { createCpuBackend } from '@vblora/cpu';
import { smallAdapter } from '../helpers/small-adapter.js';

// composeAdapter({ into }): the pairs come back in the given arrays, with the same bits as a fresh compose, on a
// backend that honours the kernel's `out` (cpu) and on ones that do not (reference, a custom backend: copied).

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('allocatePairs', () => {
  it('gives zeroed float32 A (r, in) and B (out, r) per module, in one buffer (shared on request)', () => {
    const adapter = smallAdapter(1, 'topk');
    const pairs = allocatePairs(adapter);
    expect([...pairs.keys()]).toEqual([...adapter.modules.keys()]);
    expect(pairs.get('layers.0.proj')!.A.shape).toEqual([3, 16]);
    expect(pairs.get('layers.0.proj')!.B.shape).toEqual([24, 3]);
    const buffers = new Set([...pairs.values()].flatMap((p) => [p.A.data.buffer, p.B.data.buffer]));
    expect(buffers.size).toBe(1);
    expect([...pairs.values()].every((p) => p.A.data.every((v) => v === 0) && p.B.data.every((v) => v === 0))).toBe(
      true,
    );
    const shared = allocatePairs(adapter, { shared: true, modules: ['layers.2.proj'] });
    expect([...shared.keys()]).toEqual(['layers.2.proj']);
    expect(shared.get('layers.2.proj')!.A.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(() => allocatePairs(adapter, { modules: ['nope'] })).toThrow(AdapterError);
  });
});

describe('composeAdapter({ into })', () => {
  for (const [label, backend] of [
    ['cpu', createCpuBackend()],
    ['reference', referenceBackend],
  ] as const) {
    for (const [flavour, r] of [
      ['topk', 3],
      ['full', 3],
      ['topk', 4],
      ['full', 4],
    ] as const) {
      it(`${label}, ${flavour}, r ${r}: fills into's arrays with a fresh compose's bits, and reuses them for another adapter`, async () => {
        const first = smallAdapter(2, flavour, undefined, r);
        const second = smallAdapter(3, flavour, undefined, r);
        const into = allocatePairs(first);
        for (const adapter of [first, second]) {
          const fresh = await composeAdapter(adapter, { backend });
          const got = await composeAdapter(adapter, { backend, into });
          for (const [path, pair] of got) {
            expect(pair.A.data).toBe(into.get(path)!.A.data);
            expect(pair.B.data).toBe(into.get(path)!.B.data);
            expect(pair.A.shape).toEqual(fresh.get(path)!.A.shape);
            expect(bits(pair.A.data)).toEqual(bits(fresh.get(path)!.A.data));
            expect(bits(pair.B.data)).toEqual(bits(fresh.get(path)!.B.data));
          }
        }
      });
    }
  }

  it('cpu: composes in place into pairs from allocatePairs, and falls back to copying when their scratch is too small', async () => {
    const cpu = createCpuBackend();
    const adapter = smallAdapter(7, 'topk', undefined, 4);
    const into = allocatePairs(adapter, { backend: cpu });
    // a bank of 8192 vectors (256 KiB) needs more scratch than was set aside for the 12-vector bank
    const rng = Array.from({ length: 8192 * 8 }, (_, i) => Math.sin(i) * 0.5);
    const bigBank = {
      ...adapter,
      bank: tensor('f32', [8192, 8], Float32Array.from(rng)),
      config: { ...adapter.config, num_vectors: 8192 },
    };
    for (const a of [adapter, bigBank]) {
      const fresh = await composeAdapter(a, { backend: cpu });
      const got = await composeAdapter(a, { backend: cpu, into });
      for (const [path, pair] of got) {
        expect(pair.B.data).toBe(into.get(path)!.B.data);
        expect(bits(pair.A.data)).toEqual(bits(fresh.get(path)!.A.data));
        expect(bits(pair.B.data)).toEqual(bits(fresh.get(path)!.B.data));
      }
    }
  });

  it('cpu: composes in place into shared pairs too (a shared WebAssembly memory)', async () => {
    const cpu = createCpuBackend();
    const adapter = smallAdapter(8, 'full', undefined, 4);
    const into = allocatePairs(adapter, { shared: true, backend: cpu });
    const fresh = await composeAdapter(adapter, { backend: cpu });
    const got = await composeAdapter(adapter, { backend: cpu, into });
    for (const [path, pair] of got) {
      expect(pair.A.data.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(bits(pair.A.data)).toEqual(bits(fresh.get(path)!.A.data));
      expect(bits(pair.B.data)).toEqual(bits(fresh.get(path)!.B.data));
    }
  });

  it('cpu kernel: writes into a fitting out and returns it; ignores an out of another shape', () => {
    const cpu = createCpuBackend();
    const adapter = smallAdapter(4, 'topk');
    const m = adapter.modules.get('layers.0.proj')!;
    if (m.a.kind !== 'topk' || m.b.kind !== 'topk') throw new Error('fixture');
    const src = (f: typeof m.a) => ({
      indices: f.indices,
      weights: tensor(
        'f32',
        [...f.weights.shape.slice(0, 2), 2],
        Float32Array.from(Array.from(f.weights.data as Float32Array).flatMap((v) => [v, 1 - v])),
      ),
    });
    const args = { logitsA: src(m.a), logitsB: src(m.b), bank: adapter.bank as never, k: 2 };
    const want = composeLowRank(args);
    const out: LowRankPair = {
      A: tensor('f32', [3, 16], new Float32Array(48)),
      B: tensor('f32', [24, 3], new Float32Array(72)),
    };
    const got = cpu.kernels.composeLowRank!(args as never) as LowRankPair;
    const into = cpu.kernels.composeLowRank!({ ...args, out } as never) as LowRankPair;
    expect(into).toBe(out);
    expect(bits(out.A.data)).toEqual(bits(want.A.data));
    expect(bits(out.B.data)).toEqual(bits(want.B.data));
    expect(bits(got.B.data)).toEqual(bits(want.B.data));
    const wrong: LowRankPair = { A: tensor('f32', [16, 3], new Float32Array(48)), B: out.B };
    const fresh = cpu.kernels.composeLowRank!({ ...args, out: wrong } as never) as LowRankPair;
    expect(fresh.A.data).not.toBe(wrong.A.data);
    expect(wrong.A.data.every((v) => v === 0)).toBe(true);
    expect(bits(fresh.A.data)).toEqual(bits(want.A.data));
  });

  it('copies the result of a kernel that returns new tensors; refuses one of the wrong size', async () => {
    const adapter = smallAdapter(5, 'topk');
    const fresh = await composeAdapter(adapter);
    const own = defineBackend({
      name: 'own',
      precision: 'f32',
      isAvailable: () => true,
      kernels: { composeLowRank: async ({ out: _ignored, ...a }) => composeLowRank(a) },
    });
    const into = allocatePairs(adapter);
    const got = await composeAdapter(adapter, { backend: own, into });
    for (const [path, pair] of got) {
      expect(pair.A.data).toBe(into.get(path)!.A.data);
      expect(bits(pair.B.data)).toEqual(bits(fresh.get(path)!.B.data));
    }
    const short = defineBackend({
      name: 'short',
      precision: 'f32',
      isAvailable: () => true,
      kernels: {
        composeLowRank: async (a) => ({ ...composeLowRank(a), B: tensor('f32', [1, 1], new Float32Array(1)) }),
      },
    });
    await expect(composeAdapter(adapter, { backend: short, into })).rejects.toThrow(ShapeError);
  });

  it('refuses into without a module, or with a pair of the wrong shape or dtype, naming it', async () => {
    const adapter = smallAdapter(6, 'topk');
    const partial = allocatePairs(adapter, { modules: ['layers.0.proj'] });
    await expect(composeAdapter(adapter, { into: partial })).rejects.toThrow(
      /into has no pair for module layers\.1\.proj/,
    );
    await expect(composeAdapter(adapter, { into: partial })).rejects.toThrow(AdapterError);
    const into = allocatePairs(adapter);
    const bad = new Map(into);
    bad.set('layers.1.proj', { A: into.get('layers.1.proj')!.A, B: tensor('f32', [3, 8], new Float32Array(24)) });
    await expect(composeAdapter(adapter, { into: bad })).rejects.toThrow(
      /into layers\.1\.proj\.B must be float32 \(8, 3\), got f32 \(3, 8\)/,
    );
    bad.set('layers.1.proj', {
      A: tensor('f64' as 'f32', [3, 24], new Float64Array(72) as unknown as Float32Array),
      B: into.get('layers.1.proj')!.B,
    });
    await expect(composeAdapter(adapter, { into: bad })).rejects.toThrow(ShapeError);
  });
});
