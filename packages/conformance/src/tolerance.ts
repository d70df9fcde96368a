/**
 * Tolerances of the suite: each kernel's declared accuracy from its contract in `@vblora/core`, per output, output
 * dtype and the backend's declared compute precision, written out for humans in every case.
 * @module
 */
import { KERNEL_CONTRACTS, type HostTensor, type KernelName, type OutputAccuracy, type Precision } from '@vblora/core';
import type { ExpectedError, OutputCheck } from './case.js';

/** The declared accuracy of output `name` (dtype `dtype`) of `kernel` for a backend computing in `precision`. */
export function declaredAccuracy(
  kernel: KernelName,
  name: string,
  dtype: string,
  precision: Precision = 'f32',
): OutputAccuracy {
  const table = KERNEL_CONTRACTS[kernel].accuracy[precision];
  const exactDtype = table[`${name}:${dtype}`];
  if (exactDtype !== undefined) return exactDtype;
  const plain = table[name];
  if (plain !== undefined) return plain;
  // Integer outputs (indices) are exact by the rules of the suite; anything else must be declared.
  if (dtype.startsWith('i') || dtype.startsWith('u')) return 'exact';
  throw new Error(`contract of ${kernel} declares no accuracy for output ${name} (${dtype})`);
}

/**
 * Declared checks for every expected output of a case at `precision`. The k−1 weights of a top-k checkpoint are
 * also held to PEFT's reload: no row may come back as NaN.
 */
export function declaredChecks(
  kernel: KernelName,
  expected: Readonly<Record<string, HostTensor>>,
  precision: Precision = 'f32',
): Record<string, OutputCheck> {
  const out: Record<string, OutputCheck> = {};
  for (const [name, t] of Object.entries(expected)) {
    const acc = declaredAccuracy(kernel, name, t.dtype, precision);
    out[name] = kernel === 'topkWeightsForSave' && name === 'weightsKm1' ? { reloadable: acc } : acc;
  }
  return out;
}

function accuracyText(acc: OutputAccuracy): string {
  return acc === 'exact' ? 'exact' : `|a−e| ≤ ${acc.atol} + ${acc.rtol}·|e|`;
}

/** One output's check as text, e.g. `A: |a−e| ≤ 1e-6 + 1e-5·|e|`. */
export function describeCheck(name: string, check: OutputCheck): string {
  if (check === 'exact') return `${name}: exact`;
  if ('rounding' in check) {
    return check.slack > 0
      ? `${name}: ${check.rounding} round-to-nearest-even of the f32 result, bit for bit (either neighbour within ${check.slack} of a midpoint)`
      : `${name}: ${check.rounding} round-to-nearest-even of the exact f32 result, bit for bit (ties to even)`;
  }
  if ('reloadable' in check)
    return `${name}: ${accuracyText(check.reloadable)}, and PEFT reloads every row without NaN`;
  return `${name}: ${accuracyText(check)}`;
}

/** An expected error as text, e.g. `throws NumericalError matching /NaNs detected/`. */
export function describeError(e: ExpectedError): string {
  return `throws ${e.name} with a message matching ${String(e.message)}`;
}
