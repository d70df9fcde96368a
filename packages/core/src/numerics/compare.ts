/**
 * Element-wise tensor comparison with explicit rules for NaN, ±Inf and −0, used by the kernel tests and the
 * conformance kit. A float element passes when `|a − e| ≤ atol + rtol·|e|`; integer tensors compare exactly.
 * @module
 */
import { DTypeError, ShapeError } from '../errors.js';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../tensor/half.js';
import { formatShape, sameShape, type HostTensor } from '../tensor/host-tensor.js';
import { isFloatDType, isIntDType, type DType } from '../tensor/dtype.js';

/** Accepted error of one element: `|actual − expected| ≤ atol + rtol·|expected|`. */
export interface Tolerance {
  readonly atol: number;
  readonly rtol: number;
}

/** One element of a comparison, as shown in failure messages. */
export interface ElementDiff {
  /** Multi-dimensional index (C order). */
  readonly index: readonly number[];
  /** Flat (C-order) index. */
  readonly flat: number;
  readonly actual: number;
  readonly expected: number;
  /** `|actual − expected|`; `Infinity` when NaN or ±Inf disagree. */
  readonly abs: number;
  /** `abs / |expected|`; `0` when both are 0, `Infinity` when only `expected` is 0. */
  readonly rel: number;
  /** Distance in units in the last place of the expected tensor's dtype (f32 ulps for f32/f64 and ints). */
  readonly ulps: number;
}

/** Result of {@link compareTensors}. */
export interface CompareReport {
  /** True when every element passes. */
  readonly ok: boolean;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** The tolerance used (integers: always exact). */
  readonly tolerance: Tolerance;
  /** True when the tensors were compared exactly (integer dtypes). */
  readonly exact: boolean;
  readonly count: number;
  /** Number of failing elements. */
  readonly mismatches: number;
  readonly maxAbs: number;
  readonly maxRel: number;
  readonly maxUlps: number;
  /** Up to five elements: the worst failing ones, or the largest differences when all pass. */
  readonly worst: readonly ElementDiff[];
}

const WORST_KEPT = 5;

const f32Box = new Float32Array(1);
const i32Box = new Int32Array(f32Box.buffer);

/** Maps float32 bits to integers that are ordered like the values (−0 and +0 both map to 0). */
function orderedF32(x: number): number {
  f32Box[0] = x;
  const b = i32Box[0]!;
  return b < 0 ? -(b & 0x7fffffff) : b;
}

/**
 * Number of float32 values between `a` and `b` after rounding both to float32 (0 for equal values and for ±0;
 * NaN when either is NaN). Infinities count as the value after the largest finite float32.
 */
export function ulpsF32(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  return Math.abs(orderedF32(a) - orderedF32(b));
}

/** Like {@link ulpsF32} for bfloat16 (both values rounded to bfloat16 first). */
export function ulpsBf16(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  return Math.abs(orderedHalf(f32ToBf16Bits(a)) - orderedHalf(f32ToBf16Bits(b)));
}

/** Like {@link ulpsF32} for IEEE float16 (both values rounded to float16 first). */
export function ulpsF16(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  return Math.abs(orderedHalf(f32ToF16Bits(a)) - orderedHalf(f32ToF16Bits(b)));
}

function orderedHalf(bits: number): number {
  return bits & 0x8000 ? -(bits & 0x7fff) : bits;
}

function ulpsFor(dtype: DType): (a: number, b: number) => number {
  if (dtype === 'bf16') return ulpsBf16;
  if (dtype === 'f16') return ulpsF16;
  return ulpsF32;
}

/** Reads element `i` of a tensor as a number (bf16/f16 bit patterns decoded; 64-bit ints converted). */
function readNumber(t: HostTensor, i: number): number {
  if (t.dtype === 'bf16') return bf16BitsToF32((t.data as Uint16Array)[i]!);
  if (t.dtype === 'f16') return f16BitsToF32((t.data as Uint16Array)[i]!);
  return Number(t.data[i]!);
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length).fill(0);
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    index[d] = n === 0 ? 0 : rest % n;
    rest = n === 0 ? 0 : Math.floor(rest / n);
  }
  return index;
}

/** Difference of one float element under the NaN / ±Inf / −0 rules; `pass` says whether it is within tolerance. */
function diffFloat(a: number, e: number, tol: Tolerance, ulps: (a: number, b: number) => number) {
  if (Number.isNaN(a) || Number.isNaN(e)) {
    const same = Number.isNaN(a) && Number.isNaN(e); // NaN equals NaN, and nothing else
    return { abs: same ? 0 : Infinity, rel: same ? 0 : Infinity, ulps: same ? 0 : Infinity, pass: same };
  }
  if (!Number.isFinite(a) || !Number.isFinite(e)) {
    const same = a === e; // infinities must match exactly, sign included
    return { abs: same ? 0 : Infinity, rel: same ? 0 : Infinity, ulps: same ? 0 : Infinity, pass: same };
  }
  const abs = Math.abs(a - e); // −0 − +0 = 0: signed zeros are equal
  const rel = abs === 0 ? 0 : e === 0 ? Infinity : abs / Math.abs(e);
  return { abs, rel, ulps: ulps(a, e), pass: abs <= tol.atol + tol.rtol * Math.abs(e) };
}

/**
 * Compares two tensors of the same shape element by element. Float dtypes (f32, f64, bf16, f16) may be mixed and
 * are compared as numbers; integer dtypes may be mixed with each other and compare exactly; an integer tensor is
 * never compared with a float one.
 * @throws {ShapeError} when the shapes differ or an integer tensor is compared with a float tensor.
 */
export function compareTensors(actual: HostTensor, expected: HostTensor, tol: Tolerance): CompareReport {
  if (!sameShape(actual.shape, expected.shape)) {
    throw new ShapeError(
      `cannot compare tensors of different shapes: actual ${formatShape(actual.shape)}, expected ${formatShape(
        expected.shape,
      )}`,
      'actual',
    );
  }
  const intA = isIntDType(actual.dtype);
  const intE = isIntDType(expected.dtype);
  if (intA !== intE || (!intA && !(isFloatDType(actual.dtype) && isFloatDType(expected.dtype)))) {
    throw new DTypeError(
      `cannot compare a ${actual.dtype} tensor with a ${expected.dtype} tensor: both must be floats or both integers`,
      'actual',
    );
  }
  const exact = intA;
  const ulps = ulpsFor(expected.dtype);
  const n = actual.data.length;
  let mismatches = 0;
  let maxAbs = 0;
  let maxRel = 0;
  let maxUlps = 0;
  // Keep the worst elements: failing ones rank above passing ones, then by abs difference.
  const worst: {
    score: number;
    fail: boolean;
    flat: number;
    a: number;
    e: number;
    abs: number;
    rel: number;
    u: number;
  }[] = [];
  for (let i = 0; i < n; i++) {
    let abs: number;
    let rel: number;
    let u: number;
    let pass: boolean;
    let a: number;
    let e: number;
    if (exact) {
      const ai = actual.data[i]!;
      const ei = expected.data[i]!;
      pass = BigInt(ai) === BigInt(ei); // exact even for 64-bit values beyond 2^53
      a = Number(ai);
      e = Number(ei);
      abs = pass ? 0 : Math.max(1, Math.abs(a - e)); // ≥ 1 even where Number() loses 64-bit precision
      rel = abs === 0 ? 0 : e === 0 ? Infinity : abs / Math.abs(e);
      u = abs;
    } else {
      a = readNumber(actual, i);
      e = readNumber(expected, i);
      ({ abs, rel, ulps: u, pass } = diffFloat(a, e, tol, ulps));
    }
    if (!pass) mismatches++;
    if (abs > maxAbs) maxAbs = abs;
    if (rel > maxRel) maxRel = rel;
    if (u > maxUlps) maxUlps = u;
    if (abs === 0 && pass) continue;
    const fail = !pass;
    const last = worst[worst.length - 1];
    if (
      worst.length < WORST_KEPT ||
      (last !== undefined && ((fail && !last.fail) || (fail === last.fail && abs > last.score)))
    ) {
      worst.push({ score: abs, fail, flat: i, a, e, abs, rel, u });
      worst.sort((x, y) => (x.fail === y.fail ? y.score - x.score : x.fail ? -1 : 1));
      if (worst.length > WORST_KEPT) worst.pop();
    }
  }
  return {
    ok: mismatches === 0,
    shape: [...actual.shape],
    dtype: expected.dtype,
    tolerance: exact ? { atol: 0, rtol: 0 } : tol,
    exact,
    count: n,
    mismatches,
    maxAbs,
    maxRel,
    maxUlps,
    worst: worst.map((w) => ({
      index: unravel(w.flat, actual.shape),
      flat: w.flat,
      actual: w.a,
      expected: w.e,
      abs: w.abs,
      rel: w.rel,
      ulps: w.u,
    })),
  };
}

function num(x: number): string {
  if (!Number.isFinite(x) || (Number.isInteger(x) && Math.abs(x) < 1e15)) return String(x);
  return x.toPrecision(6).replace(/\.?0+(e|$)/, '$1');
}

/** Formats a comparison report as a readable multi-line message, e.g. for a failing test. */
export function formatMismatch(report: CompareReport, label: string): string {
  const rule = report.exact
    ? 'exact equality'
    : `|a − e| ≤ ${num(report.tolerance.atol)} + ${num(report.tolerance.rtol)}·|e|`;
  const head =
    `${label}: ${report.mismatches} of ${report.count} elements of ${formatShape(report.shape)} ${report.dtype} ` +
    `fail ${rule} (max abs ${num(report.maxAbs)}, max rel ${num(report.maxRel)}, max ulps ${num(report.maxUlps)})`;
  const lines = report.worst.map(
    (w) =>
      `  [${w.index.join(', ')}]: actual ${num(w.actual)}, expected ${num(w.expected)}, ` +
      `abs ${num(w.abs)}, rel ${num(w.rel)}, ulps ${num(w.ulps)}`,
  );
  return [head, ...lines].join('\n');
}
