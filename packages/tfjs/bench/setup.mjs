// Shared set-up of the tfjs benchmarks: tf.js for Node from @vblora/tfjs/node (wasm binaries from node_modules,
// quiet tf.js), a timer.
import { useTfjsBackend } from '../dist/node.js';

/** Switches tf.js to a backend (set up for Node first). */
export async function use(name) {
  await useTfjsBackend(name);
}

/** Median and min of `runs` timings of `fn` (ms), after `warmup` untimed runs. */
export async function time(fn, { runs = 5, warmup = 1 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)], min: ms[0] };
}

/** Backends to run, from argv (default cpu and wasm). */
export const BACKENDS =
  process.argv.slice(2).filter((a) => !a.startsWith('-')).length > 0
    ? process.argv.slice(2).filter((a) => !a.startsWith('-'))
    : ['wasm', 'cpu'];
