import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, referenceBackend, type Backend } from '@vblora/core';
import { TINY_VOCAB, LLAMA2_7B_LAYER } from './llama-decoder/decoder-folder.js';
import { llamaLayerFolders, tinyLlamaFolders } from './llama-decoder/bench-folders.js';
import { describeMachine } from './machine.js';
import { LLAMA2_7B, type LlamaShape } from './llama-shapes.js';
import type { BenchReport, BenchRow } from './result.js';
import { syntheticAdapter } from './synthetic-adapter.js';
import { adapterStoreWorkload } from './workloads/adapter-store.js';
import { adapterSwitchWorkload } from './workloads/adapter-switch.js';
import { checkpointWorkload } from './workloads/checkpoint.js';
import { cliStartupWorkload } from './workloads/cli-startup.js';
import { composeWorkload } from './workloads/compose.js';
import { allCoreCopyBandwidth, copyBandwidth, type CopyProbes } from './workloads/copy-bandwidth.js';
import { forwardWorkload } from './workloads/forward.js';
import { generateWorkload } from './workloads/generate-tokens.js';
import { mergeWorkload } from './workloads/merge.js';
import { mixedBatchWorkload } from './workloads/mixed-batch.js';
import { scaleMergeWorkload } from './workloads/scale-merge.js';
import { serverLoadWorkload } from './workloads/server-load.js';
import { trainingStepWorkload } from './workloads/training-step.js';

/**
 * Largest tokens × hidden² a backend's forward is timed at: plain JS loops, single-threaded wasm and SwiftShader
 * take minutes per repetition beyond these (stated in docs/benchmarks.md by the rows that are absent).
 */
const FORWARD_BUDGET: Readonly<Record<string, number>> = {
  reference: 2 ** 25,
  cpu: 2 ** 31,
  'tfjs-wasm': 2 ** 31,
  'tfjs-cpu': 2 ** 25,
  webgpu: 2 ** 25,
};

/** Options of {@link runBench}. */
export interface BenchOptions {
  /** Small sizes, one repetition: a smoke test that finishes in well under a minute. */
  readonly quick?: boolean;
  /** Backends to compare (default: the reference backend). */
  readonly backends?: readonly Backend[];
  /** Layers of the synthetic sharded checkpoint for merge at scale (default 2 full, 1 quick; 0 skips it). */
  readonly scaleLayers?: number;
  /** Active tf.js backend name ('wasm' | 'cpu') to time a VB-LoRA vs LoRA training step on; omitted: skipped. */
  readonly trainOn?: string;
  /** transformers.js generation and adapter switching (default true). */
  readonly generate?: boolean;
  /** The command line recorded beside the numbers. */
  readonly command?: string;
  /** Progress messages (one per workload). */
  readonly log?: (message: string) => void;
  /**
   * Only these workloads (ids as in {@link BENCH_WORKLOADS}; default: all). The copies always run: every ratio
   * against copy bandwidth needs them.
   */
  readonly only?: readonly string[];
}

/** Workload ids that {@link BenchOptions.only} selects from. */
export const BENCH_WORKLOADS = [
  'compose',
  'merge',
  'forward',
  'mixed-batch',
  'training-step',
  'generate',
  'adapter-switch',
  'adapter-store',
  'server-load',
  'cli-startup',
  'checkpoint',
  'scale-merge',
] as const;

/**
 * Runs every workload (or those of `options.only`) on every backend that implements it, copy bandwidth first,
 * and returns the report.
 */
export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  // a misspelt --only is refused before the copies take their seconds
  const unknown = options.only?.filter((w) => !(BENCH_WORKLOADS as readonly string[]).includes(w)) ?? [];
  if (unknown.length > 0)
    throw new ConfigError(
      `bench: unknown workload ${unknown.join(', ')} (one of ${BENCH_WORKLOADS.join(', ')})`,
      'only',
    );
  const copy = await measureCopies(options.quick === true);
  try {
    return await runWorkloads(options, copy);
  } finally {
    await copy.close();
  }
}

/** The one-thread and the all-core copy, measured and kept ready to repeat alongside compose and merge. */
async function measureCopies(quick: boolean) {
  const bytes = quick ? 32 * 2 ** 20 : 256 * 2 ** 20;
  const reps = quick ? 3 : 9;
  const one = await copyBandwidth(bytes, reps);
  const all = await allCoreCopyBandwidth(bytes, reps);
  const probes: CopyProbes = { one: one.probe, all: all.probe };
  return { one, all, probes, close: all.close };
}

async function runWorkloads(
  options: BenchOptions,
  copy: Awaited<ReturnType<typeof measureCopies>>,
): Promise<BenchReport> {
  const want = (w: (typeof BENCH_WORKLOADS)[number]) => options.only === undefined || options.only.includes(w);
  const quick = options.quick === true;
  const backends = options.backends ?? [referenceBackend];
  const log = options.log ?? (() => undefined);
  const reps = quick ? 1 : 5;
  const rows: BenchRow[] = [];
  const shape: LlamaShape = quick ? { layers: 1, hidden: 1024, intermediate: 2816 } : LLAMA2_7B;

  log('copy bandwidth');
  rows.push(copy.one.row, copy.all.row);

  const topk = syntheticAdapter(shape, 'topk');
  if (want('compose')) {
    log('compose');
    for (const b of backends) {
      if (b.kernels.composeLowRank === undefined) continue;
      rows.push(...(await composeWorkload(topk, 'from top-k input', b, copy.probes, reps)));
    }
    // full logits of the whole 7B adapter are 320 MB; a few layers show the same per-module rate
    const fullShape = quick ? shape : { ...shape, layers: 4 };
    const full = syntheticAdapter(fullShape, 'full');
    for (const b of backends) {
      if (b.kernels.composeLowRank === undefined) continue;
      rows.push(
        ...(await composeWorkload(
          full,
          `from full logits (${fullShape.layers} layers)`,
          b,
          copy.probes,
          quick ? 1 : 3,
        )),
      );
    }
  }

  if (want('merge')) {
    log('merge');
    const [mOut, mIn] = quick ? [512, 1024] : [shape.intermediate, shape.hidden];
    rows.push(await mergeWorkload(mOut, mIn, 'f32', copy.probes, quick ? 1 : 9));
    rows.push(await mergeWorkload(mOut, mIn, 'bf16', copy.probes, quick ? 1 : 9));
  }

  if (want('forward')) log('forward');
  const hidden = quick ? 256 : 4096;
  for (const b of want('forward') ? backends : []) {
    if (b.kernels.linear === undefined || b.kernels.adapterForward === undefined) continue;
    for (const tokens of quick ? [1, 16] : [1, 128, 4096]) {
      // plain-loop matmuls of 4096 tokens × 4096² take minutes (and SwiftShader is slower still): skip what a
      // backend cannot do in reasonable time, and say so in the docs
      const budget = FORWARD_BUDGET[b.name] ?? 2 ** 37;
      if (tokens * hidden * hidden > budget) continue;
      rows.push(await forwardWorkload(b, tokens, hidden, quick ? 1 : 3));
    }
  }

  if (want('mixed-batch')) log('mixed batch');
  for (const b of want('mixed-batch') ? backends : []) {
    if (b.kernels.mixedBatchForward === undefined || b.kernels.adapterForward === undefined) continue;
    for (const n of [1, 8, 64]) rows.push(await mixedBatchWorkload(b, quick ? 64 : 512, quick ? 128 : 1024, n, reps));
    // the cpu backend keeps stable adapters' transposed factors across batches
    if (b.name === 'cpu')
      for (const n of [8, 64])
        rows.push(await mixedBatchWorkload(b, quick ? 64 : 512, quick ? 128 : 1024, n, reps, true));
  }

  if (options.trainOn !== undefined && want('training-step')) {
    log('training step');
    rows.push(await trainingStepWorkload(options.trainOn, quick ? 32 : 256, quick ? 1 : 9));
  }

  const composer = backends.find((b) => b.name === 'cpu') ?? referenceBackend;
  if (options.generate !== false && want('generate')) {
    log('transformers.js generate');
    const workDir = await mkdtemp(join(tmpdir(), 'vblora-bench-generate-'));
    try {
      const sizes = [await tinyLlamaFolders(workDir)];
      if (!quick) sizes.push(await llamaLayerFolders(workDir));
      // the tiny model generates 32 tokens in a few ms, where the VM's jitter is as large as the difference measured:
      // there, longer generations (8 + 112 tokens: its max_position_embeddings is 128) and more repetitions
      for (const [i, f] of sizes.entries()) {
        const tiny = i === 0;
        rows.push(
          ...(await generateWorkload({
            ...f,
            promptTokens: 8,
            newTokens: quick ? 4 : tiny ? 112 : 32,
            reps: quick ? 1 : tiny ? 21 : 5,
            backend: composer,
          })),
        );
      }
    } finally {
      // our own mkdtemp folder, holding only what the injections wrote
      await rm(workDir, { recursive: true, force: true });
    }
  }
  if (options.generate !== false && want('adapter-switch')) {
    log('adapter switch');
    const switchShape = quick ? { layers: 1, hidden: 1024, intermediate: 2816 } : shape;
    const adapters = [7, 8, 9].map((seed) => syntheticAdapter(switchShape, 'topk', seed));
    const decoder = {
      ...LLAMA2_7B_LAYER,
      ...switchShape,
      vocab: TINY_VOCAB,
      heads: switchShape.hidden / 128,
      kvHeads: switchShape.hidden / 128,
    };
    rows.push(...(await adapterSwitchWorkload(decoder, adapters, composer, quick ? 2 : 9)));
  }

  if (want('adapter-store')) {
    log('adapter store');
    const storeShape = quick ? { layers: 1, hidden: 1024, intermediate: 2816 } : shape;
    const many = Array.from({ length: quick ? 4 : 8 }, (_, i) => syntheticAdapter(storeShape, 'topk', 100 + i));
    const what = quick ? 'small (1 layer of 1024)' : '7B-shaped';
    rows.push(...(await adapterStoreWorkload(what, many, composer, quick ? 2 : 3, quick ? 10 : 200)));
  }

  if (options.generate !== false && want('server-load')) {
    log('server load');
    const [adapters, requests, pairs] = quick ? [50, 200, 1] : [1000, 4000, 3];
    rows.push(...(await serverLoadWorkload({ adapters, requests, pairs, maxSeconds: 120, backend: composer, log })));
  }

  if (want('cli-startup')) {
    log('cli startup');
    rows.push(...(await cliStartupWorkload(quick ? 2 : 9)));
  }

  if (want('checkpoint')) {
    log('checkpoint');
    rows.push(...(await checkpointWorkload(topk, reps, !quick)));
  }

  const scaleLayers = options.scaleLayers ?? (quick ? 1 : 2);
  if (scaleLayers > 0 && want('scale-merge')) {
    log('merge at scale');
    const scaleShape = { ...shape, layers: scaleLayers };
    // a fresh private folder (mkdtemp), which the workload removes when done: a predictable name in /tmp could
    // be pre-created by another user, and we would then write into, and delete, a folder that is not ours
    const workDir = await mkdtemp(join(tmpdir(), 'vblora-bench-'));
    rows.push(await scaleMergeWorkload(syntheticAdapter(scaleShape, 'topk'), scaleShape, workDir, copy.all.gbps, log));
  }
  return { command: options.command ?? 'vblora bench', quick, machine: describeMachine(), rows };
}
