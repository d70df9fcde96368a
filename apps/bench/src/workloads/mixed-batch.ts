import { createRng, requireKernel, stableAdapter, tensor, type Backend } from '@vblora/core';
import type { BenchRow } from '../result.js';
import { fmtTiming, timePaired } from '../stats.js';

/**
 * Throughput of one batch with 1, 8 or 64 distinct adapters, relative to the same batch with one adapter. With
 * `stable`, the adapters are `stableAdapter` wrappers, made once (a backend may prepare each adapter once instead
 * of once per batch).
 */
export async function mixedBatchWorkload(
  backend: Backend,
  rows: number,
  hidden: number,
  adapters: number,
  reps: number,
  stable = false,
): Promise<BenchRow> {
  const mixed = requireKernel(backend, 'mixedBatchForward');
  const single = requireKernel(backend, 'adapterForward');
  const rng = createRng(9);
  const r = 4;
  const x = tensor(
    'f32',
    [rows, hidden],
    Float32Array.from({ length: rows * hidden }, () => rng.normal()),
  );
  const baseOut = tensor(
    'f32',
    [rows, hidden],
    Float32Array.from({ length: rows * hidden }, () => rng.normal()),
  );
  const list = Array.from({ length: adapters }, () => {
    const pair = {
      A: tensor(
        'f32',
        [r, hidden],
        Float32Array.from({ length: r * hidden }, () => rng.normal() * 0.01),
      ),
      B: tensor(
        'f32',
        [hidden, r],
        Float32Array.from({ length: hidden * r }, () => rng.normal() * 0.01),
      ),
    };
    return stable ? stableAdapter(pair) : pair;
  });
  const rowAdapter = Int32Array.from({ length: rows }, (_, i) => i % adapters);
  // alternating, so a change of machine speed during the run hits both sides of the ratio
  const [one, many] = await timePaired(
    () => single({ x, baseOut, A: list[0]!.A, B: list[0]!.B }),
    () => mixed({ x, baseOut, adapters: list, rowAdapter }),
    reps,
    1,
  );
  return {
    workload: 'mixed batch',
    case: `${rows} rows × ${hidden}, ${adapters} distinct adapter${adapters === 1 ? '' : 's'}${stable ? ', stable (prepared once)' : ''}`,
    backend: backend.name,
    timing: many,
    value: `${fmtTiming(many)} vs one adapter ${fmtTiming(one)}`,
    ratio: one.medianMs / many.medianMs,
    ratioOf: 'of single-adapter throughput',
    target: 0.8,
  };
}
