import { createConfig, createRng, tensor, type AdapterModule, type HostTensor, type VBLoRAAdapter } from '@vblora/core';
import { llamaModules, type LlamaShape } from './llama-shapes.js';

/** VB-LoRA settings of the benchmark adapter (the paper's Llama-2 setting). */
export const BENCH_VBLORA = { nv: 2048, vl: 256, r: 4, k: 2 } as const;

function topkFactor(rng: ReturnType<typeof createRng>, lead: [number, number], nv: number, k: number) {
  const rows = lead[0] * lead[1];
  const idx = new Int16Array(rows * k);
  const w = new Float32Array(rows * (k - 1));
  for (let r = 0; r < rows; r++) {
    const first = Math.floor(rng.uniform() * nv);
    for (let j = 0; j < k; j++) idx[r * k + j] = (first + j * 7) % nv;
    for (let j = 0; j < k - 1; j++) w[r * (k - 1) + j] = 0.5 + (0.5 * rng.uniform()) / (j + 1);
  }
  return {
    kind: 'topk' as const,
    indices: tensor('i16', [...lead, k], idx) as HostTensor,
    weights: tensor('f32', [...lead, k - 1], w),
  };
}

function logitsFactor(rng: ReturnType<typeof createRng>, shape: [number, number, number]) {
  const n = shape[0] * shape[1] * shape[2];
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.uniform() * 4 - 2;
  return { kind: 'logits' as const, logits: tensor('f32', shape, data) };
}

/** A seeded Llama-shaped VB-LoRA adapter in either flavour (values are random; sizes are real). */
export function syntheticAdapter(shape: LlamaShape, flavour: 'topk' | 'full', seed = 7): VBLoRAAdapter {
  const { nv, vl, r, k } = BENCH_VBLORA;
  const rng = createRng(seed);
  const modules = new Map<string, AdapterModule>();
  for (const m of llamaModules(shape)) {
    const inT = m.inFeatures / vl;
    const outT = Math.ceil(m.outFeatures / vl);
    modules.set(m.path, {
      path: m.path,
      inFeatures: m.inFeatures,
      outFeatures: m.outFeatures,
      a: flavour === 'topk' ? topkFactor(rng, [r, inT], nv, k) : logitsFactor(rng, [r, inT, nv]),
      b: flavour === 'topk' ? topkFactor(rng, [outT, r], nv, k) : logitsFactor(rng, [outT, r, nv]),
    });
  }
  const bank = tensor(
    'f32',
    [nv, vl],
    Float32Array.from({ length: nv * vl }, () => (rng.uniform() * 2 - 1) * 0.02),
  );
  const config = createConfig({
    r,
    num_vectors: nv,
    vector_length: vl,
    topk: k,
    target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
    save_only_topk_weights: flavour === 'topk',
  });
  return { name: 'default', config, bank, modules, extraTensors: new Map(), metadata: { format: 'pt' } };
}
