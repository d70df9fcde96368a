import { merge, toF32, unmerge, type HostTensor, type KernelName, type Precision } from '@vblora/core';
import type { KernelArgs, OutputCheck } from '../case.js';
import { declaredChecks } from '../tolerance.js';

/** Relative distance to a bf16/f16 rounding midpoint inside which either neighbour is accepted (8 f32 ulps). */
export const MIDPOINT_SLACK = 2 ** -21;

/**
 * Checks for merge/unmerge: a float32 weight uses the declared tolerance; a bf16/f16 weight must be exactly the
 * round-to-nearest-even of the float32 result (computed here on the widened weight), bit for bit, except within
 * `slack` of a midpoint (default {@link MIDPOINT_SLACK}; 0 for inputs whose float32 result is exact in any order)
 * — so a backend that truncates, rounds half away from zero or loses the sign of zero fails.
 */
export function roundingCheck(
  kernel: Extract<KernelName, 'merge' | 'unmerge'>,
  expected: Record<string, HostTensor>,
  args: KernelArgs<'merge'>,
  precision: Precision = 'f32',
  slack = MIDPOINT_SLACK,
): Record<string, OutputCheck> {
  const w = args.weight as HostTensor;
  if (w.dtype !== 'bf16' && w.dtype !== 'f16') return declaredChecks(kernel, expected, precision);
  const op = kernel === 'merge' ? merge : unmerge;
  // the unrounded float32 result: the same arithmetic on the exactly widened weight, never the safe check
  const unrounded = op({ weight: toF32(w), A: args.A, B: args.B, fanInFanOut: args.fanInFanOut ?? false });
  return { weight: { rounding: w.dtype, unrounded, slack } };
}
