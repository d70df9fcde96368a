/**
 * Compares a backend's outputs with a case's expected outputs and explains the first mismatches.
 * @module
 */
import { compareTensors, formatMismatch, formatShape, roundToBf16, roundToF16, toF32, type HostTensor } from '@vblora/core';
import type { OutputCheck } from './case.js';

/** The comparison of one output. */
export interface OutputComparison {
  readonly name: string;
  readonly ok: boolean;
  /** Max absolute error (NaN when a shape or dtype differs). */
  readonly maxAbs: number;
  /** Why it failed (empty when it passed). */
  readonly message: string;
}

function compareRounded(actual: HostTensor, expected: HostTensor, check: Extract<OutputCheck, { rounding: string }>, name: string): OutputComparison {
  const round = check.rounding === 'bf16' ? roundToBf16 : roundToF16;
  const a = toF32(actual).data;
  const e = toF32(expected).data;
  const s = check.unrounded.data;
  let maxAbs = 0;
  const bad: string[] = [];
  for (let i = 0; i < e.length; i++) {
    const ai = a[i]!;
    maxAbs = Math.max(maxAbs, Math.abs(ai - e[i]!));
    if (Object.is(ai, e[i]) || ai === e[i] || (Number.isNaN(ai) && Number.isNaN(e[i]!))) continue;
    // near a midpoint, a last-bit difference of the f32 sum may legitimately flip the rounding
    const lo = round(s[i]! * (1 - check.slack));
    const hi = round(s[i]! * (1 + check.slack));
    if (ai === lo || ai === hi) continue;
    if (bad.length < 5) bad.push(`[${i}]: actual ${ai}, expected ${e[i]} (= ${check.rounding} RNE of f32 ${s[i]})`);
  }
  const ok = bad.length === 0;
  return { name, ok, maxAbs, message: ok ? '' : `${name}: not rounded to nearest even in ${check.rounding}:\n  ${bad.join('\n  ')}` };
}

/** Compares one output against its check. */
export function compareOutput(name: string, actual: HostTensor | undefined, expected: HostTensor, check: OutputCheck): OutputComparison {
  if (actual === undefined) return { name, ok: false, maxAbs: NaN, message: `${name}: the backend returned no output "${name}"` };
  if (actual.shape.length !== expected.shape.length || actual.shape.some((d, i) => d !== expected.shape[i])) {
    return {
      name,
      ok: false,
      maxAbs: NaN,
      message: `${name}: shape ${formatShape(actual.shape)}, expected ${formatShape(expected.shape)}`,
    };
  }
  const intLike = (t: HostTensor) => t.dtype.startsWith('i') || t.dtype.startsWith('u');
  if (actual.dtype !== expected.dtype && !(intLike(actual) && intLike(expected))) {
    return { name, ok: false, maxAbs: NaN, message: `${name}: dtype ${actual.dtype}, expected ${expected.dtype}` };
  }
  if (check !== 'exact' && 'rounding' in check) return compareRounded(actual, expected, check, name);
  const tol = check === 'exact' ? { atol: 0, rtol: 0 } : check;
  const report = compareTensors(actual, expected, tol);
  return { name, ok: report.ok, maxAbs: report.maxAbs, message: report.ok ? '' : formatMismatch(report, name) };
}
