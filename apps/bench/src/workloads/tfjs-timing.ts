/**
 * Shared set-up of the tf.js workloads: the tf.js backends to run (from the arguments) and a timer.
 * @module
 */
import { useTfjsBackend } from '@vblora/tfjs/node';

/** Switches tf.js to backend `name` (tf.js for Node set up first: wasm binaries from node_modules, quiet tf.js). */
export async function useTf(name: string): Promise<void> {
  await useTfjsBackend(name);
}

/** Median and minimum of some timings, in ms. */
export interface Timing {
  readonly median: number;
  readonly min: number;
}

/** Median and min of `runs` timings of `fn` (ms), after `warmup` untimed runs. */
export async function time(fn: () => unknown, { runs = 5, warmup = 1 } = {}): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)]!, min: ms[0]! };
}

/** The tf.js backends named in `argv` (arguments not starting with `-`), by default wasm and cpu. */
export function tfBackendsFrom(argv: readonly string[]): readonly string[] {
  const named = argv.filter((a) => !a.startsWith('-'));
  return named.length > 0 ? named : ['wasm', 'cpu'];
}
