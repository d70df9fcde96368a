import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bf16ArrayToF32,
  bf16BitsToF32,
  f16ArrayToF32,
  f16BitsToF32,
  f32ArrayToBf16,
  f32ArrayToF16,
  f32ToBf16Bits,
  f32ToF16Bits,
  roundToBf16,
  roundToF16,
} from '@vblora/core';

// Accuracy: every comparison here is exact (bit patterns, or numbers compared with Object.is).
// The reference decoders and the round-to-nearest-even search below are written from the IEEE 754 definitions,
// independently of half.ts: value = (-1)^s × 2^(e − bias) × 1.m, subnormals 2^(1 − bias) × 0.m.

interface Format {
  readonly name: string;
  readonly mantBits: number;
  readonly bias: number;
  readonly toF32: (h: number) => number;
  readonly fromF32: (x: number) => number;
  readonly arrayToF32: (a: Uint16Array) => Float32Array;
  readonly arrayFromF32: (a: Float32Array) => Uint16Array;
  readonly round: (x: number) => number;
}

const FORMATS: readonly Format[] = [
  {
    name: 'bf16',
    mantBits: 7,
    bias: 127,
    toF32: bf16BitsToF32,
    fromF32: f32ToBf16Bits,
    arrayToF32: bf16ArrayToF32,
    arrayFromF32: f32ArrayToBf16,
    round: roundToBf16,
  },
  {
    name: 'f16',
    mantBits: 10,
    bias: 15,
    toF32: f16BitsToF32,
    fromF32: f32ToF16Bits,
    arrayToF32: f16ArrayToF32,
    arrayFromF32: f32ArrayToF16,
    round: roundToF16,
  },
];

const expMask = (f: Format): number => ((1 << (15 - f.mantBits)) - 1) << f.mantBits;
const mantMask = (f: Format): number => (1 << f.mantBits) - 1;
const isNaNBits = (f: Format, h: number): boolean => (h & expMask(f)) === expMask(f) && (h & mantMask(f)) !== 0;
const isQuietNaNBits = (f: Format, h: number): boolean => isNaNBits(f, h) && (h & (1 << (f.mantBits - 1))) !== 0;

/** Independent decoder: the value of a 16-bit pattern from the IEEE definition, in f64 (exact). */
function decode(f: Format, h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h & expMask(f)) >>> f.mantBits;
  const m = h & mantMask(f);
  const top = expMask(f) >>> f.mantBits;
  if (e === top) return m === 0 ? sign * Infinity : NaN;
  if (e === 0) return sign * m * 2 ** (1 - f.bias - f.mantBits);
  return sign * (1 + m / 2 ** f.mantBits) * 2 ** (e - f.bias);
}

/**
 * Independent round-to-nearest-even: binary search of |x| in the table of all finite non-negative values (whose
 * index is the bit pattern), with the first value past the largest finite one (2^(emax+1)) standing for +Inf.
 * Distances are exact in f64 because every candidate and x are float32 values of similar magnitude.
 */
function makeReference(f: Format): (x: number) => number {
  const inf = expMask(f);
  const table = new Float64Array(inf + 1);
  for (let h = 0; h < inf; h++) table[h] = decode(f, h);
  table[inf] = 2 ** ((inf >>> f.mantBits) - f.bias); // the overflow threshold's upper neighbour
  return (x: number): number => {
    const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
    const a = Math.abs(x);
    if (a >= table[inf]!) return sign | inf;
    let lo = 0;
    let hi = inf; // table[lo] <= a < table[hi]
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (table[mid]! <= a) lo = mid;
      else hi = mid;
    }
    const dLo = a - table[lo]!;
    const dHi = table[hi]! - a;
    if (dLo < dHi) return sign | lo;
    if (dHi < dLo) return sign | hi;
    return sign | (lo % 2 === 0 ? lo : hi); // tie: the even mantissa
  };
}

const f32Bits = new Uint32Array(1);
const f32View = new Float32Array(f32Bits.buffer);
const fromBits = (b: number): number => {
  f32Bits[0] = b;
  return f32View[0]!;
};
const bitsOf = (x: number): number => {
  f32View[0] = x;
  return f32Bits[0]!;
};
const isNaNF32Bits = (b: number): boolean => (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0;

describe.each(FORMATS)('$name conversions', (f) => {
  const ALL = Uint16Array.from({ length: 65536 }, (_, i) => i);
  const reference = makeReference(f);

  it('16 → 32 is exact for all 65536 bit patterns (independent decoder)', () => {
    const wrong: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const want = decode(f, h);
      const got = f.toF32(h);
      if (!(Object.is(got, want) || (Number.isNaN(want) && Number.isNaN(got)))) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  it('16 → 32 → 16 is the identity on all non-NaN patterns; NaN stays a quiet NaN (scalar API)', () => {
    const wrong: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const back = f.fromF32(f.toF32(h));
      const ok = isNaNBits(f, h) ? isQuietNaNBits(f, back) : back === h;
      if (!ok) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  it('16 → 32 → 16 is the identity on all non-NaN patterns; NaN stays a quiet NaN (array API)', () => {
    const back = f.arrayFromF32(f.arrayToF32(ALL));
    const wrong = [...ALL].filter((h) => (isNaNBits(f, h) ? !isQuietNaNBits(f, back[h]!) : back[h] !== h));
    expect(wrong).toEqual([]);
  });

  it('array and scalar APIs agree bit for bit on all patterns', () => {
    const wide = f.arrayToF32(ALL);
    const wrong = [...ALL].filter((h) => {
      const s = f.toF32(h);
      return !(Object.is(wide[h], s) || (Number.isNaN(s) && Number.isNaN(wide[h])));
    });
    expect(wrong).toEqual([]);
  });

  it('32 → 16 rounds to nearest even at every boundary (exact values, midpoints and their f32 neighbours)', () => {
    const probes: number[] = [];
    for (let h = 0; h < 65536; h++) {
      if (isNaNBits(f, h) || (h & 0x7fff) === expMask(f)) continue;
      const v = decode(f, h);
      const b = bitsOf(v);
      probes.push(b, b + 1, b - 1);
      if ((h & 0x7fff) + 1 < expMask(f)) {
        // h + 1 is the next value away from zero (same sign); the midpoint needs one more bit, exact in float32.
        const mid = bitsOf((v + decode(f, h + 1)) / 2);
        probes.push(mid, mid + 1, mid - 1);
      }
    }
    // The overflow threshold (largest finite + half an ulp) and its neighbours.
    const maxFinite = decode(f, expMask(f) - 1);
    const threshold = bitsOf(maxFinite + (maxFinite - decode(f, expMask(f) - 2)) / 2);
    probes.push(threshold - 1, threshold, threshold + 1, bitsOf(Infinity), bitsOf(-Infinity), 0, 0x80000000);
    const wrong: string[] = [];
    for (const raw of probes) {
      const b = raw >>> 0;
      if (isNaNF32Bits(b)) continue;
      const x = fromBits(b);
      if (f.fromF32(x) !== reference(x)) wrong.push(`0x${b.toString(16)}`);
    }
    expect(probes.length).toBeGreaterThan(300_000);
    expect(wrong.slice(0, 10)).toEqual([]);
  });

  it('32 → 16 rounds to nearest even on random float32 bit patterns (seed 42)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (b) => {
        const x = fromBits(b);
        if (isNaNF32Bits(b)) return isQuietNaNBits(f, f.fromF32(x));
        return f.fromF32(x) === reference(x) && Object.is(f.round(x), decode(f, reference(x)));
      }),
      { seed: 42, numRuns: 20_000 },
    );
  });

  it('32 → 16 rounds to nearest even near the subnormal and underflow range (seed 43)', () => {
    // Exponents 90..150 cover f16 subnormals (2^-24), the flush-to-zero edge (2^-25) and bf16's normal range.
    fc.assert(
      fc.property(
        fc.integer({ min: 90, max: 150 }),
        fc.integer({ min: 0, max: 0x7fffff }),
        fc.boolean(),
        (e, m, neg) => {
          const x = fromBits(((neg ? 0x80000000 : 0) | (e << 23) | m) >>> 0);
          return f.fromF32(x) === reference(x);
        },
      ),
      { seed: 43, numRuns: 20_000 },
    );
  });
});
