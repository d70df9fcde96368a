import { merge, toF32, unmerge, type HostTensor, type KernelName } from '@vblora/core';
import type { OutputCheck } from '../case.js';
import { declaredChecks } from '../tolerance.js';

/** Relative distance to a bf16/f16 rounding midpoint inside which either neighbour is accepted (8 f32 ulps). */
export const MIDPOINT_SLACK = 2 ** -21;

/**
 * Checks for merge/unmerge: a float32 weight uses the declared tolerance; a bf16/f16 weight must be exactly the
 * round-to-nearest-even of the float32 result (computed here on the widened weight), except within
 * {@link MIDPOINT_SLACK} of a midpoint — so a backend that truncates, or rounds half away from zero, fails.
 */
export function roundingCheck(
  kernel: Extract<KernelName, 'merge' | 'unmerge'>,
  expected: Record<string, HostTensor>,
  args: { weight: HostTensor; A: HostTensor<'f32'>; B: HostTensor<'f32'>; fanInFanOut: boolean },
): Record<string, OutputCheck> {
  const w = args.weight;
  if (w.dtype !== 'bf16' && w.dtype !== 'f16') return declaredChecks(kernel, expected);
  const op = kernel === 'merge' ? merge : unmerge;
  const unrounded = op({ weight: toF32(w), A: args.A, B: args.B, fanInFanOut: args.fanInFanOut });
  return { weight: { rounding: w.dtype, unrounded, slack: MIDPOINT_SLACK } };
}
