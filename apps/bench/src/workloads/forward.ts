import { createRng, requireKernel, tensor, type Backend } from '@vblora/core';
import type { BenchRow } from '../result.js';
import { fmtTiming, timePaired } from '../stats.js';

/** Unmerged adapter overhead: the base linear alone vs base linear + adapter term, same backend, same input. */
export async function forwardWorkload(
  backend: Backend,
  tokens: number,
  hidden: number,
  reps: number,
): Promise<BenchRow> {
  const linear = requireKernel(backend, 'linear');
  const adapterForward = requireKernel(backend, 'adapterForward');
  const rng = createRng(5);
  const r = 4;
  const x = tensor(
    'f32',
    [tokens, hidden],
    Float32Array.from({ length: tokens * hidden }, () => rng.normal()),
  );
  const weight = tensor(
    'f32',
    [hidden, hidden],
    Float32Array.from({ length: hidden * hidden }, () => rng.normal() * 0.02),
  );
  const A = tensor(
    'f32',
    [r, hidden],
    Float32Array.from({ length: r * hidden }, () => rng.normal() * 0.01),
  );
  const B = tensor(
    'f32',
    [hidden, r],
    Float32Array.from({ length: hidden * r }, () => rng.normal() * 0.01),
  );
  // alternating, so a change of machine speed during the run hits both sides of the ratio
  const [base, both] = await timePaired(
    () => linear({ x, weight }),
    async () => {
      const baseOut = await linear({ x, weight });
      return adapterForward({ x, baseOut, A, B });
    },
    reps,
    1,
  );
  const overhead = both.medianMs / base.medianMs - 1;
  return {
    workload: 'forward',
    case: `${tokens} tokens × ${hidden} hidden, r ${r}`,
    backend: backend.name,
    timing: both,
    value: `base ${fmtTiming(base)}; base + adapter ${fmtTiming(both)}`,
    ratio: overhead,
    ratioOf: 'overhead over the base linear',
    target: 0.1,
  };
}
