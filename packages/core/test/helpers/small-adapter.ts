import { createConfig, createRng, tensor, type AdapterModule, type VBLoRAAdapter } from '../../src/index.js';

/**
 * A small seeded adapter for compose tests: one module per [inTiles, outTiles], top-k or full logits, nv 12,
 * vl 8, k 2 and rank `r` (4 takes the CPU kernels' r = 4, k = 2 path; 3 the generic one).
 */
export function smallAdapter(
  seed: number,
  flavour: 'topk' | 'full',
  tiles: readonly [number, number][] = [
    [2, 3],
    [3, 1],
    [1, 2],
  ],
  r = 3,
): VBLoRAAdapter {
  const [nv, vl, k] = [12, 8, 2];
  const rng = createRng(seed);
  const factor = (lead: [number, number]) => {
    const rows = lead[0] * lead[1];
    if (flavour === 'full')
      return {
        kind: 'logits' as const,
        logits: tensor(
          'f32',
          [...lead, nv],
          Float32Array.from({ length: rows * nv }, () => rng.uniform() * 4 - 2),
        ),
      };
    const idx = Int32Array.from({ length: rows * k }, (_, i) => (Math.floor(i / k) * 5 + (i % k) * 3) % nv);
    const w = Float32Array.from({ length: rows }, () => 0.5 + 0.5 * rng.uniform());
    return {
      kind: 'topk' as const,
      indices: tensor('i32', [...lead, k], idx),
      weights: tensor('f32', [...lead, k - 1], w),
    };
  };
  const modules = new Map<string, AdapterModule>();
  tiles.forEach(([inT, outT], i) => {
    const path = `layers.${i}.proj`;
    modules.set(path, {
      path,
      inFeatures: inT * vl,
      outFeatures: outT * vl,
      a: factor([r, inT]),
      b: factor([outT, r]),
    });
  });
  const bank = tensor(
    'f32',
    [nv, vl],
    Float32Array.from({ length: nv * vl }, () => rng.uniform() * 2 - 1),
  );
  const config = createConfig({
    r,
    num_vectors: nv,
    vector_length: vl,
    topk: k,
    target_modules: ['proj'],
    save_only_topk_weights: flavour === 'topk',
  });
  return { name: 'default', config, bank, modules, extraTensors: new Map(), metadata: null };
}
