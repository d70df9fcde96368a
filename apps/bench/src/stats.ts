/** Timing statistics of one measurement: warm-up runs discarded, then repetitions. */
export interface Timing {
  /** Median wall time in milliseconds. */
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly reps: number;
}

/** Times `fn`: `warmup` untimed runs, then `reps` timed ones; reports median and spread. */
export async function time(fn: () => unknown, reps: number, warmup = 1): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return summarise(samples);
}

function summarise(samples: number[]): Timing {
  samples.sort((a, b) => a - b);
  const mid = samples.length >> 1;
  const medianMs = samples.length % 2 === 1 ? samples[mid]! : (samples[mid - 1]! + samples[mid]!) / 2;
  return { medianMs, minMs: samples[0]!, maxMs: samples[samples.length - 1]!, reps: samples.length };
}

/**
 * Times `a` and `b` alternately (a, b, a, b, …) after `warmup` untimed runs of each, so that both see the same
 * machine when its speed drifts during the run (a ratio of two separate runs can swing by tens of percent on a VM).
 */
export async function timePaired(
  a: () => unknown,
  b: () => unknown,
  reps: number,
  warmup = 1,
): Promise<[Timing, Timing]> {
  const [ta, tb] = await timeAlternating([a, b], reps, warmup);
  return [ta!, tb!];
}

/**
 * Times every function in turn, repetition by repetition (f₀, f₁, …, f₀, f₁, …), after `warmup` untimed rounds:
 * {@link timePaired} for any number of functions (e.g. a workload between the one-thread and the all-core copy).
 */
export async function timeAlternating(fns: readonly (() => unknown)[], reps: number, warmup = 1): Promise<Timing[]> {
  for (let i = 0; i < warmup; i++) for (const fn of fns) await fn();
  const samples = fns.map((): number[] => []);
  for (let i = 0; i < reps; i++) {
    for (const [j, fn] of fns.entries()) {
      const t0 = performance.now();
      await fn();
      samples[j]!.push(performance.now() - t0);
    }
  }
  return samples.map(summarise);
}

/** GB/s (10⁹ bytes per second) for `bytes` moved in `ms`. */
export function gbps(bytes: number, ms: number): number {
  return bytes / 1e9 / (ms / 1e3);
}

/** Formats a timing as `median ms (min–max)`. */
export function fmtTiming(t: Timing): string {
  const f = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  return `${f(t.medianMs)} ms (${f(t.minMs)}–${f(t.maxMs)}, n=${t.reps})`;
}
