import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createRng,
  defineBackend,
  f32ToBf16Bits,
  planSafetensors,
  referenceBackend,
  type VBLoRAAdapter,
} from '@vblora/core';
import { mergeCheckpoint, readAdapterDir, SHARD_INDEX_FILE, writeAdapterDir } from '@vblora/core/node';
import { cpuParallelMerge } from '@vblora/cpu/node';
import type { ScaleMergeChildResult } from './scale-merge-child.js';
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
    const plan = planSafetensors(
      mine.map((m) => ({ name: `${m.path}.weight`, dtype: 'bf16' as const, shape: [m.outFeatures, m.inFeatures] })),
    );
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
  await writeFile(
    join(dir, SHARD_INDEX_FILE),
    JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2),
  );
  return total;
}

/** Restricts an adapter to the modules of the first `layers` layers. */
function firstLayers(adapter: VBLoRAAdapter, layers: number): VBLoRAAdapter {
  const modules = new Map([...adapter.modules].filter(([p]) => Number(/\.layers\.(\d+)\./.exec(p)?.[1]) < layers));
  return { ...adapter, modules };
}

/**
 * Merge at scale: a sharded bf16 checkpoint on disk through `mergeCheckpoint` (streamed, every core). From the
 * built package the merge runs in a child process (`scale-merge-child.js`), whose peak resident memory is the
 * merge's own; from sources (the smoke test) it runs in this process and the row says so.
 */
export async function scaleMergeWorkload(
  adapter: VBLoRAAdapter,
  shape: LlamaShape,
  workDir: string,
  copyGbps: number,
  log?: (m: string) => void,
): Promise<BenchRow> {
  const inDir = join(workDir, 'base');
  const outDir = join(workDir, 'merged');
  const adapterDir = join(workDir, 'adapter');
  try {
    log?.(`writing a ${shape.layers}-layer synthetic checkpoint`);
    const bytes = await writeSyntheticCheckpoint(inDir, shape);
    const scoped = firstLayers(adapter, shape.layers);
    await writeAdapterDir(adapterDir, scoped);
    const largest = Math.max(...llamaModules(shape).map((m) => m.inFeatures * m.outFeatures * 2));
    log?.(`merging ${(bytes / 2 ** 30).toFixed(1)} GiB`);
    const child = fileURLToPath(new URL('./scale-merge-child.js', import.meta.url));
    let r: ScaleMergeChildResult;
    let where: string;
    if (import.meta.url.endsWith('.js') && existsSync(child)) {
      const res = spawnSync(process.execPath, [child, adapterDir, inDir, outDir], {
        encoding: 'utf8',
        maxBuffer: 2 ** 20,
      });
      if (res.status !== 0) throw new Error(`scale merge child failed: ${res.stderr}`);
      r = JSON.parse(res.stdout.trim().split('\n').pop()!) as ScaleMergeChildResult;
      where = 'merge process';
    } else {
      const { adapter: reloaded } = await readAdapterDir(adapterDir);
      const rssBeforeBytes = process.memoryUsage().rss;
      let peak = rssBeforeBytes;
      const t0 = performance.now();
      const result = await mergeCheckpoint(reloaded, inDir, outDir, {
        backend: defineBackend({ ...referenceBackend, capabilities: { parallelMerge: cpuParallelMerge } }),
        onProgress: () => void (peak = Math.max(peak, process.memoryUsage().rss)),
      });
      r = {
        ms: performance.now() - t0,
        maxRssBytes: peak,
        rssBeforeBytes,
        threads: result.threads,
        shards: result.shards.length,
      };
      where = 'bench process, in-process merge';
    }
    const g = gbps(2 * bytes, r.ms);
    const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
    return {
      workload: 'merge at scale',
      case: `sharded bf16 checkpoint, ${shape.layers} layers, ${(bytes / 2 ** 30).toFixed(2)} GiB, ${r.shards} shards`,
      backend: `cpu ×${r.threads} threads`,
      value: `${(r.ms / 1000).toFixed(1)} s, ${g.toFixed(2)} GB/s incl. disk I/O; peak RSS ${mib(r.maxRssBytes)} (${where}; ${mib(r.rssBeforeBytes)} before the merge; largest tensor ${mib(largest)})`,
      ratio: g / copyGbps,
      ratioOf: 'of copy bandwidth (streaming, disk included)',
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
