/**
 * Compares a backend's outputs with a case's expected outputs and explains the first mismatches.
 * @module
 */
import {
  compareTensors,
  formatMismatch,
  formatShape,
  roundToBf16,
  roundToF16,
  storeTopkWeights,
  toF32,
  type HostTensor,
  type OutputAccuracy,
} from '@vblora/core';
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

function show(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

/** Equal as values of a float dtype, bit for bit but for NaN payloads: −0 and +0 differ, any NaN equals any NaN. */
function sameFloat(a: number, e: number): boolean {
  return Object.is(a, e);
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
    const d = Math.abs(ai - e[i]!);
    if (d > maxAbs) maxAbs = d;
    if (sameFloat(ai, e[i]!)) continue;
    // near a midpoint, a last-bit difference of the f32 sum may legitimately flip the rounding
    if (check.slack > 0 && (sameFloat(ai, round(s[i]! * (1 - check.slack))) || sameFloat(ai, round(s[i]! * (1 + check.slack))))) continue;
    if (bad.length < 5) bad.push(`[${i}]: actual ${show(ai)}, expected ${show(e[i]!)} (= ${check.rounding} RNE of f32 ${show(s[i]!)})`);
  }
  const ok = bad.length === 0;
  const rule = check.slack > 0 ? '' : ' (an exact midpoint: ties go to even)';
  return { name, ok, maxAbs, message: ok ? '' : `${name}: not rounded to nearest even in ${check.rounding}${rule}, sign of zero included:\n  ${bad.join('\n  ')}` };
}

/** Float outputs compared exactly: bit for bit (the sign of zero included), any NaN equal to any NaN. */
function compareBits(actual: HostTensor, expected: HostTensor, name: string): OutputComparison {
  const a = toF32(actual).data;
  const e = toF32(expected).data;
  let maxAbs = 0;
  const bad: string[] = [];
  for (let i = 0; i < e.length; i++) {
    const d = Math.abs(a[i]! - e[i]!);
    if (d > maxAbs) maxAbs = d;
    if (!sameFloat(a[i]!, e[i]!) && bad.length < 5) bad.push(`[${i}]: actual ${show(a[i]!)}, expected ${show(e[i]!)}`);
  }
  const ok = bad.length === 0;
  return { name, ok, maxAbs, message: ok ? '' : `${name}: not bit-identical (sign of zero included):\n  ${bad.join('\n  ')}` };
}

function compareWithin(actual: HostTensor, expected: HostTensor, acc: OutputAccuracy, name: string): OutputComparison {
  const isFloat = (t: HostTensor) => t.dtype === 'f32' || t.dtype === 'bf16' || t.dtype === 'f16' || t.dtype === 'f64';
  if (acc === 'exact' && isFloat(expected)) return compareBits(actual, expected, name);
  const tol = acc === 'exact' ? { atol: 0, rtol: 0 } : acc;
  const report = compareTensors(actual, expected, tol);
  return { name, ok: report.ok, maxAbs: report.maxAbs, message: report.ok ? '' : formatMismatch(report, name) };
}

/** Rows (over the leading dims) of stored top-k weights that PEFT would reload as NaN. */
function unreloadableRows(stored: HostTensor): number[] {
  const m = stored.shape[stored.shape.length - 1] ?? 0;
  if (m === 0) return [];
  const w = toF32(stored).data;
  const rows = w.length / m;
  const k = m + 1;
  const all = new Float32Array(rows * k); // (rows, k): the stored weights and a 0 for the dropped one
  for (let row = 0; row < rows; row++) all.set(w.subarray(row * m, (row + 1) * m), row * k);
  return storeTopkWeights(all, rows, k).nudgedRows;
}

function compareReloadable(actual: HostTensor, expected: HostTensor, acc: OutputAccuracy, name: string): OutputComparison {
  const within = compareWithin(actual, expected, acc, name);
  if (!within.ok) return within;
  let rows: number[];
  try {
    rows = unreloadableRows(actual);
  } catch (err) {
    return { ...within, ok: false, message: `${name}: ${(err as Error).message}` };
  }
  if (rows.length === 0) return within;
  return {
    ...within,
    ok: false,
    message:
      `${name}: PEFT would reload row${rows.length > 1 ? 's' : ''} ${rows.slice(0, 5).join(', ')}${rows.length > 5 ? ', …' : ''} as NaN: ` +
      'the stored weights may sum above 1 in float32, so 1 − Σw < 0 and log gives NaN (SPEC §5.4); lower the largest stored ' +
      'weight by ulps until the exact sum is ≤ 1 (k ≤ 3) or ≤ 1 − (k − 2)·2⁻²⁵ (k ≥ 4) (docs/numerics.md)',
  };
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
  if (actual.dtype !== expected.dtype) {
    return { name, ok: false, maxAbs: NaN, message: `${name}: dtype ${actual.dtype}, expected ${expected.dtype}` };
  }
  if (check !== 'exact' && 'rounding' in check) return compareRounded(actual, expected, check, name);
  if (check !== 'exact' && 'reloadable' in check) return compareReloadable(actual, expected, check.reloadable, name);
  return compareWithin(actual, expected, check, name);
}
