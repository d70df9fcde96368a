import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BenchRow } from '../result.js';
import { fmtTiming, gbps, time, timeAlternating, type Timing } from '../stats.js';

/**
 * A copy to time alongside a workload (alternating repetitions, see `timeAlternating`): the workload's ratio is
 * then against the copy bandwidth of the same minutes — this VM's speed drifts by up to 2× between minutes, which
 * a single measurement at the start cannot follow.
 */
export interface CopyProbe {
  /** Bytes copied per run (read and written once each). */
  readonly bytes: number;
  /** Threads copying at once (1: the calling thread). */
  readonly threads: number;
  readonly run: () => void;
}

/** GB/s of a copy probe's median time (bytes read plus bytes written). */
export function probeGbps(probe: CopyProbe, medianMs: number): number {
  return gbps(2 * probe.bytes, medianMs);
}

/** The two copies compose and merge are measured against: one thread, and every core at once. */
export interface CopyProbes {
  readonly one: CopyProbe;
  readonly all: CopyProbe;
}

/** A measured copy: its row, its GB/s and the probe to repeat alongside workloads. */
export interface CopyMeasure {
  readonly row: BenchRow;
  readonly gbps: number;
  readonly probe: CopyProbe;
}

function copyRow(probe: CopyProbe, t: Timing, how: string): CopyMeasure {
  const g = gbps(2 * probe.bytes, t.medianMs);
  return {
    gbps: g,
    probe,
    row: {
      workload: 'copy',
      case: `${(probe.bytes / 2 ** 20).toFixed(0)} MiB typed-array copy (read + write), ${how}`,
      backend: probe.threads === 1 ? 'node' : `node ×${probe.threads} threads`,
      timing: t,
      value: `${g.toFixed(2)} GB/s`,
      note: fmtTiming(t),
    },
  };
}

/**
 * The memory-bound limit of one thread: a plain typed-array copy (`dst.set(src)`), counted as bytes read plus
 * bytes written — the same accounting used for merge and compose.
 */
export async function copyBandwidth(bytes: number, reps: number): Promise<CopyMeasure> {
  const src = new Uint8Array(bytes).fill(1);
  const dst = new Uint8Array(bytes);
  const probe: CopyProbe = { bytes, threads: 1, run: () => dst.set(src) };
  return copyRow(probe, await time(probe.run, reps, 2), 'one thread');
}

// A worker of the all-core copy: waits for the generation counter (ctl[0]) to move, copies its slice, counts
// itself done (ctl[1]) and wakes the caller when it is the last; a negative generation ends it. Plain JS (eval'd):
// it runs the same from the TypeScript sources and from the built package.
const COPY_WORKER = `
const { workerData } = require('node:worker_threads');
const { src, dst, ctl, begin, end, threads } = workerData;
const s = new Uint8Array(src, begin, end - begin);
const d = new Uint8Array(dst, begin, end - begin);
let gen = 0;
for (;;) {
  Atomics.wait(ctl, 0, gen);
  gen = Atomics.load(ctl, 0);
  if (gen < 0) break;
  d.set(s);
  if (Atomics.add(ctl, 1, 1) + 1 === threads) Atomics.notify(ctl, 1);
}
`;

/**
 * The memory-bound limit of the whole machine: one worker thread per core, started once and kept waiting, each
 * copying its slice of one shared buffer into another; one run is all slices, start to last finish (the caller
 * blocks on `Atomics.wait`). Bytes read plus bytes written, like the one-thread copy. `close` ends the workers.
 */
export async function allCoreCopyBandwidth(
  bytes: number,
  reps: number,
  threads = availableParallelism(),
): Promise<CopyMeasure & { close: () => Promise<void> }> {
  const src = new SharedArrayBuffer(bytes);
  new Uint8Array(src).fill(1);
  const dst = new SharedArrayBuffer(bytes);
  const ctl = new Int32Array(new SharedArrayBuffer(8));
  // slices of whole 64-byte lines, so no two threads write the same cache line
  const per = Math.ceil(bytes / threads / 64) * 64;
  const workers: Worker[] = [];
  for (let i = 0; i < threads; i++) {
    const begin = Math.min(bytes, i * per);
    const end = Math.min(bytes, begin + per);
    workers.push(
      new Worker(COPY_WORKER, { eval: true, execArgv: [], workerData: { src, dst, ctl, begin, end, threads } }),
    );
  }
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('online', resolve))));
  const run = () => {
    Atomics.store(ctl, 1, 0);
    Atomics.add(ctl, 0, 1);
    Atomics.notify(ctl, 0);
    for (let done = Atomics.load(ctl, 1); done < threads; done = Atomics.load(ctl, 1)) Atomics.wait(ctl, 1, done);
  };
  const close = async () => {
    Atomics.store(ctl, 0, -1);
    Atomics.notify(ctl, 0);
    await Promise.all(workers.map((w) => w.terminate()));
  };
  try {
    const probe: CopyProbe = { bytes, threads, run };
    return { ...copyRow(probe, await time(run, reps, 2), `every core (${threads} worker threads)`), close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** A workload's timing and the GB/s of both copies measured alongside it. */
export interface AgainstCopies {
  readonly timing: Timing;
  /** GB/s of the all-core copy, and of the one-thread copy, in the same minutes. */
  readonly allGbps: number;
  readonly oneGbps: number;
}

/**
 * Times `fn` alternately with the one-thread and the all-core copy (see `timeAlternating`), so its ratio against
 * either is of the same minutes.
 */
export async function timeAgainstCopies(
  copies: CopyProbes,
  fn: () => unknown,
  reps: number,
  warmup: number,
): Promise<AgainstCopies> {
  const [one, all, timing] = await timeAlternating([copies.one.run, copies.all.run, fn], reps, warmup);
  return {
    timing: timing!,
    allGbps: probeGbps(copies.all, all!.medianMs),
    oneGbps: probeGbps(copies.one, one!.medianMs),
  };
}

/** `…; copy alongside X GB/s on every core, Y GB/s on one thread (Z % of it)` for a workload of `g` GB/s. */
export function copiesNote(g: number, m: AgainstCopies): string {
  return (
    `copy alongside ${m.allGbps.toFixed(2)} GB/s on every core, ${m.oneGbps.toFixed(2)} GB/s on one thread ` +
    `(${((100 * g) / m.oneGbps).toFixed(1)} % of it)`
  );
}
