import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRng, f32ToBf16Bits, planSafetensors, type VBLoRAAdapter } from '@vblora/core';
import { mergeCheckpoint, SHARD_INDEX_FILE } from '@vblora/core/node';
import { llamaModules, type LlamaShape } from '../llama-shapes.js';
import type { BenchRow } from '../result.js';
import { gbps } from '../stats.js';

/**
 * Writes a synthetic Llama-shaped bf16 checkpoint (projection weights only), one shard per layer, with a
 * transformers-style index, streaming tensor by tensor so generating it needs little memory.
 */
async function writeSyntheticCheckpoint(dir: string, shape: LlamaShape): Promise<number> {
  await mkdir(dir, { recursive: true });
  const rng = createRng(3);
  const weightMap: Record<string, string> = {};
  let total = 0;
  const modules = llamaModules(shape);
  for (let l = 0; l < shape.layers; l++) {
    const file = `model-${String(l + 1).padStart(5, '0')}-of-${String(shape.layers).padStart(5, '0')}.safetensors`;
    const mine = modules.filter((m) => m.path.startsWith(`model.layers.${l}.`));
    const plan = planSafetensors(mine.map((m) => ({ name: `${m.path}.weight`, dtype: 'bf16' as const, shape: [m.outFeatures, m.inFeatures] })));
    const parts: Uint8Array[] = [plan.header];
    for (const slot of plan.layout) {
      const n = (slot.end - slot.begin) / 2;
      const w = new Uint16Array(n);
      // a cheap, non-constant pattern: random sign and exponent spread around 0.02
      for (let i = 0; i < n; i++) w[i] = f32ToBf16Bits((rng.uniform() - 0.5) * 0.04);
      parts.push(new Uint8Array(w.buffer));
      weightMap[slot.name] = file;
    }
    const bytes = parts.reduce((s, p) => s + p.length, 0);
    total += bytes;
    const out = new Uint8Array(bytes);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    await writeFile(join(dir, file), out);
  }
  await writeFile(join(dir, SHARD_INDEX_FILE), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
  return total;
}

/** Restricts an adapter to the modules of the first `layers` layers. */
function firstLayers(adapter: VBLoRAAdapter, layers: number): VBLoRAAdapter {
  const modules = new Map([...adapter.modules].filter(([p]) => Number(/\.layers\.(\d+)\./.exec(p)?.[1]) < layers));
  return { ...adapter, modules };
}

/**
 * Merge at scale: a sharded bf16 checkpoint on disk through `mergeCheckpoint` (streamed, every core), with the
 * peak resident memory of this process and the largest tensor for comparison.
 */
export async function scaleMergeWorkload(adapter: VBLoRAAdapter, shape: LlamaShape, workDir: string, copyGbps: number): Promise<BenchRow> {
  const inDir = join(workDir, 'base');
  const outDir = join(workDir, 'merged');
  const bytes = await writeSyntheticCheckpoint(inDir, shape);
  const largest = Math.max(...llamaModules(shape).map((m) => m.inFeatures * m.outFeatures * 2));
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const t0 = performance.now();
  const result = await mergeCheckpoint(firstLayers(adapter, shape.layers), inDir, outDir, {
    onProgress: () => {
      peak = Math.max(peak, process.memoryUsage().rss);
    },
  });
  const ms = performance.now() - t0;
  await rm(workDir, { recursive: true, force: true });
  const g = gbps(2 * bytes, ms);
  return {
    workload: 'merge at scale',
    case: `sharded bf16 checkpoint, ${shape.layers} layers, ${(bytes / 2 ** 30).toFixed(2)} GiB, ${result.shards.length} shards`,
    backend: `cpu ×${result.threads} threads`,
    value: `${(ms / 1000).toFixed(1)} s, ${g.toFixed(2)} GB/s incl. disk I/O; peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB (largest tensor ${(largest / 2 ** 20).toFixed(0)} MiB, RSS before ${(rssBefore / 2 ** 20).toFixed(0)} MiB)`,
    ratio: g / copyGbps,
    ratioOf: 'of copy bandwidth (streaming, disk included)',
  };
}
