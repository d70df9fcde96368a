/**
 * Tolerances of the suite: each kernel's declared accuracy from its contract in `@vblora/core`, per output and
 * output dtype, written out for humans in every case.
 * @module
 */
import { KERNEL_CONTRACTS, type HostTensor, type KernelName, type OutputAccuracy, type Precision } from '@vblora/core';
import type { OutputCheck } from './case.js';

/** The declared accuracy of output `name` (dtype `dtype`) of `kernel` at `precision`. */
export function declaredAccuracy(kernel: KernelName, name: string, dtype: string, precision: Precision = 'f32'): OutputAccuracy {
  const table = KERNEL_CONTRACTS[kernel].accuracy[precision];
  const exactDtype = table[`${name}:${dtype}`];
  if (exactDtype !== undefined) return exactDtype;
  const plain = table[name];
  if (plain !== undefined) return plain;
  // Integer outputs (indices) are exact by the rules of the suite; anything else must be declared.
  if (dtype.startsWith('i') || dtype.startsWith('u')) return 'exact';
  throw new Error(`contract of ${kernel} declares no accuracy for output ${name} (${dtype})`);
}

/** Declared checks for every expected output of a case. */
export function declaredChecks(kernel: KernelName, expected: Readonly<Record<string, HostTensor>>): Record<string, OutputCheck> {
  const out: Record<string, OutputCheck> = {};
  for (const [name, t] of Object.entries(expected)) out[name] = declaredAccuracy(kernel, name, t.dtype);
  return out;
}

/** One output's check as text, e.g. `A: |a−e| ≤ 1e-6 + 1e-5·|e|`. */
export function describeCheck(name: string, check: OutputCheck): string {
  if (check === 'exact') return `${name}: exact`;
  if ('rounding' in check) return `${name}: ${check.rounding} round-to-nearest-even of the f32 result (either neighbour within ${check.slack} of a midpoint)`;
  return `${name}: |a−e| ≤ ${check.atol} + ${check.rtol}·|e|`;
}
