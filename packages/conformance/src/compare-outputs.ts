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

function compareRounded(
  actual: HostTensor,
  expected: HostTensor,
  check: Extract<OutputCheck, { rounding: string }>,
  name: string,
): OutputComparison {
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
    if (
      check.slack > 0 &&
      (sameFloat(ai, round(s[i]! * (1 - check.slack))) || sameFloat(ai, round(s[i]! * (1 + check.slack))))
    )
      continue;
    if (bad.length < 5)
      bad.push(`[${i}]: actual ${show(ai)}, expected ${show(e[i]!)} (= ${check.rounding} RNE of f32 ${show(s[i]!)})`);
  }
  const ok = bad.length === 0;
  const rule = check.slack > 0 ? '' : ' (an exact midpoint: ties go to even)';
  return {
    name,
    ok,
    maxAbs,
    message: ok
      ? ''
      : `${name}: not rounded to nearest even in ${check.rounding}${rule}, sign of zero included:\n  ${bad.join('\n  ')}`,
  };
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
  return {
    name,
    ok,
    maxAbs,
    message: ok ? '' : `${name}: not bit-identical (sign of zero included):\n  ${bad.join('\n  ')}`,
  };
}

function compareWithin(actual: HostTensor, expected: HostTensor, acc: OutputAccuracy, name: string): OutputComparison {
  const isFloat = (t: HostTensor) => t.dtype === 'f32' || t.dtype === 'bf16' || t.dtype === 'f16' || t.dtype === 'f64';
  if (acc === 'exact' && isFloat(expected)) return compareBits(actual, expected, name);
  const tol = acc === 'exact' ? { atol: 0, rtol: 0 } : acc;
  const report = compareTensors(actual, expected, tol);
  return { name, ok: report.ok, maxAbs: report.maxAbs, message: report.ok ? '' : formatMismatch(report, name) };
}

const f32Box = new Float32Array(1);
const u32Box = new Uint32Array(f32Box.buffer);

/** A finite float32 value times 2^149, exactly (every float32 is a multiple of 2^-149). */
function scaled(v: number): bigint {
  f32Box[0] = v;
  const bits = u32Box[0]!;
  const e = (bits >>> 23) & 0xff;
  const mant = BigInt(e === 0 ? bits & 0x7fffff : (bits & 0x7fffff) | 0x800000);
  const x = e === 0 ? mant : mant << BigInt(e - 1);
  return bits >>> 31 === 1 ? -x : x;
}

/**
 * Rows (over the leading dims) of stored top-k weights that PEFT reloads as NaN in some float32 summation order,
 * by the documented rule (docs/numerics.md): m = k − 1 ≤ 2 weights have one order, their float32 sum must be ≤ 1;
 * for m ≥ 3 the exact sum must be ≤ 1 − (m − 1)·2⁻²⁵, which bounds every order. Sums are exact (BigInt), so a
 * backend may lower the weights to the boundary itself. `certain` lists the rows whose in-order sum exceeds 1.
 */
function unreloadableRows(stored: HostTensor): { rows: number[]; certain: number[] } {
  const m = stored.shape[stored.shape.length - 1] ?? 0;
  const rows: number[] = [];
  const certain: number[] = [];
  if (m === 0) return { rows, certain };
  const w = toF32(stored).data;
  const limit = (1n << 149n) - BigInt(m - 1) * (1n << 124n);
  for (let row = 0; row < w.length / m; row++) {
    const ws = w.subarray(row * m, (row + 1) * m);
    let inOrder = 0;
    for (const v of ws) inOrder = Math.fround(inOrder + v);
    if (!(inOrder <= 1) || !ws.every(Number.isFinite)) {
      rows.push(row);
      certain.push(row);
    } else if (m >= 3 && ws.reduce((acc, v) => acc + scaled(v), 0n) > limit) {
      rows.push(row);
    }
  }
  return { rows, certain };
}

function list(rows: readonly number[]): string {
  return `row${rows.length > 1 ? 's' : ''} ${rows.slice(0, 5).join(', ')}${rows.length > 5 ? ', …' : ''}`;
}

function compareReloadable(
  actual: HostTensor,
  expected: HostTensor,
  acc: OutputAccuracy,
  name: string,
): OutputComparison {
  const within = compareWithin(actual, expected, acc, name);
  if (!within.ok) return within;
  const { rows, certain } = unreloadableRows(actual);
  if (rows.length === 0) return within;
  const k = (actual.shape[actual.shape.length - 1] ?? 0) + 1;
  const message =
    certain.length > 0
      ? `${name}: PEFT reloads ${list(certain)} as NaN: the stored weights sum above 1 in float32, so 1 − Σw < 0 and log gives NaN (SPEC §5.4)`
      : `${name}: PEFT may reload ${list(rows)} as NaN: the exact sum of the ${k - 1} stored weights exceeds 1 − ${k - 2}·2⁻²⁵, so a float32 sum in another order (torch's vectorised one) can exceed 1 (SPEC §5.4)`;
  return {
    ...within,
    ok: false,
    message: `${message}; lower the largest stored weight by ulps until the float32 sum is ≤ 1 (k ≤ 3) or the exact sum ≤ 1 − (k − 2)·2⁻²⁵ (k ≥ 4) (docs/numerics.md)`,
  };
}

/** Compares one output against its check. */
export function compareOutput(
  name: string,
  actual: HostTensor | undefined,
  expected: HostTensor,
  check: OutputCheck,
): OutputComparison {
  if (actual === undefined)
    return { name, ok: false, maxAbs: NaN, message: `${name}: the backend returned no output "${name}"` };
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
