// Shared set-up of the tfjs benchmarks: wasm binaries from node_modules, quiet tf.js, a timer.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

setWasmPaths(
  `${join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`,
);
tf.enableProdMode();

/** Switches tf.js to a backend. */
export async function use(name) {
  if (!(await tf.setBackend(name))) throw new Error(`tf.js backend ${name} did not initialise`);
  await tf.ready();
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
