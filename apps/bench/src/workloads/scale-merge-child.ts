/**
 * Child process of the merge-at-scale workload: `node scale-merge-child.js <adapter dir> <base dir> <out dir>`
 * merges like `vblora merge --base` and prints one JSON line with the time and this process's peak resident
 * memory, so the figure is the merge's own and not the benchmark's.
 * @module
 */
import { readFileSync } from 'node:fs';
import { defineBackend, referenceBackend } from '@vblora/core';
import { mergeCheckpoint, readAdapterDir } from '@vblora/core/node';
import { cpuParallelMerge } from '@vblora/cpu/node';

/** What the child reports. */
export interface ScaleMergeChildResult {
  readonly ms: number;
  /** Peak resident set size of the merging process, bytes. */
  readonly maxRssBytes: number;
  /** Resident set size after loading the adapter, before the merge, bytes. */
  readonly rssBeforeBytes: number;
  readonly threads: number;
  readonly shards: number;
}

/**
 * Peak resident memory of this process: Linux's VmHWM. (getrusage's ru_maxrss is no use here: a spawned child
 * keeps its parent's high-water mark through fork and exec, so it would report the benchmark's own peak.)
 */
function peakRssBytes(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m !== null) return Number(m[1]) * 1024;
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS * 1024;
}

async function main(argv: readonly string[]): Promise<void> {
  const [adapterDir, baseDir, outDir] = argv;
  if (adapterDir === undefined || baseDir === undefined || outDir === undefined)
    throw new Error('usage: scale-merge-child <adapter dir> <base dir> <out dir>');
  const { adapter } = await readAdapterDir(adapterDir);
  const rssBeforeBytes = process.memoryUsage().rss;
  const t0 = performance.now();
  // the reference's numbers on every core (the merge pool), as `vblora merge --base` runs
  const backend = defineBackend({ ...referenceBackend, capabilities: { parallelMerge: cpuParallelMerge } });
  const result = await mergeCheckpoint(adapter, baseDir, outDir, { backend });
  const ms = performance.now() - t0;
  const out: ScaleMergeChildResult = {
    ms,
    maxRssBytes: peakRssBytes(),
    rssBeforeBytes,
    threads: result.threads,
    shards: result.shards.length,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
