/**
 * tf.js workload run by hand (the bench's compose rows cover the same ground): compose A and B of every module of
 * a Llama-2-7B-shaped VB-LoRA adapter (32 layers × q,k,v,o,gate,up,down = 224 modules; hidden 4096, intermediate
 * 11008; nv 2048, vl 256, r 4, k 2), from full logits and from the top-k form, with the tfjs backend on tf.js wasm
 * and cpu, next to core's reference.
 *
 * Run: `node --max-old-space-size=8192 apps/bench/dist/package-script.js tfjs-compose-7b [wasm] [cpu]`.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import {
  composeAdapter,
  createConfig,
  createRng,
  tensor,
  toTopkAdapter,
  type AdapterModule,
  type VBLoRAAdapter,
} from '@vblora/core';
import { AdapterWeights, createTfjsBackend } from '@vblora/tfjs';
import { tfBackendsFrom, time, useTf, type Timing } from './tfjs-timing.js';

const [H, I, NV, VL, R, K] = [4096, 11008, 2048, 256, 4, 2] as const;
const SHAPES: Record<string, readonly [number, number]> = {
  q_proj: [H, H],
  k_proj: [H, H],
  v_proj: [H, H],
  o_proj: [H, H],
  gate_proj: [H, I],
  up_proj: [H, I],
  down_proj: [I, H],
};

function randomAdapter(): VBLoRAAdapter {
  const rng = createRng(7);
  const normal = (n: number): Float32Array => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = rng.normal();
    return a;
  };
  const modules = new Map<string, AdapterModule>();
  for (let l = 0; l < 32; l++) {
    for (const [name, [inF, outF]] of Object.entries(SHAPES)) {
      const group = ['gate_proj', 'up_proj', 'down_proj'].includes(name) ? 'mlp' : 'self_attn';
      const path = `model.layers.${l}.${group}.${name}`;
      const a = tensor('f32', [R, inF / VL, NV], normal((R * inF * NV) / VL));
      const b = tensor('f32', [outF / VL, R, NV], normal((R * outF * NV) / VL));
      modules.set(path, {
        path,
        inFeatures: inF,
        outFeatures: outF,
        a: { kind: 'logits', logits: a },
        b: { kind: 'logits', logits: b },
      });
    }
  }
  const bank = tensor(
    'f32',
    [NV, VL],
    Float32Array.from({ length: NV * VL }, () => 0.02 * (2 * rng.uniform() - 1)),
  );
  const config = createConfig({
    r: R,
    num_vectors: NV,
    vector_length: VL,
    topk: K,
    target_modules: Object.keys(SHAPES),
  });
  return { name: 'default', config, bank, modules, extraTensors: new Map(), metadata: null };
}

/** Logits count of a full-logits adapter. */
function logitsCountOf(adapter: VBLoRAAdapter): number {
  let n = 0;
  for (const m of adapter.modules.values())
    for (const f of [m.a, m.b]) if (f.kind === 'logits') n += f.logits.data.length;
  return n;
}

/** Runs the benchmark on the tf.js backends named in `argv` and prints its table to stdout. */
export async function tfjsCompose7bBench(argv: readonly string[]): Promise<void> {
  const t0 = performance.now();
  const full = randomAdapter();
  const topk = toTopkAdapter(full).adapter;
  const logitsCount = logitsCountOf(full);
  console.log(
    `adapter: ${full.modules.size} modules, ${(logitsCount / 1e6).toFixed(1)} M logits (${((logitsCount * 4) / 2 ** 20).toFixed(0)} MiB f32); built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  const rows: (Timing & { readonly label: string })[] = [];
  const run = async (label: string, fn: () => unknown, runs = 3): Promise<void> => {
    rows.push({ label, ...(await time(fn, { runs, warmup: 1 })) });
  };
  await run('reference (core, plain loops) — full logits', () => composeAdapter(full), 1);
  await run('reference (core, plain loops) — top-k form', () => composeAdapter(topk), 1);
  for (const b of tfBackendsFrom(argv)) {
    await useTf(b);
    const backend = createTfjsBackend({ tfBackend: b });
    await run(`tfjs-${b} composeAdapter — full logits (host in/out)`, () => composeAdapter(full, { backend }));
    await run(`tfjs-${b} composeAdapter — top-k form (host in/out)`, () => composeAdapter(topk, { backend }));
    for (const [label, adapter] of [
      ['full logits', full],
      ['top-k form', topk],
    ] as const) {
      const weights = AdapterWeights.fromAdapter(adapter);
      const paths = [...weights.modules.keys()];
      await run(`tfjs-${b} in-model compose, A/B stay tf tensors — ${label}`, () => {
        weights.invalidate();
        for (const p of paths) weights.composed(p);
        return tf.ready();
      });
      weights.dispose();
    }
  }
  console.log('what | median s | min s | per module ms');
  for (const r of rows)
    console.log(
      `${r.label} | ${(r.median / 1000).toFixed(2)} | ${(r.min / 1000).toFixed(2)} | ${(r.median / 224).toFixed(1)}`,
    );
}
