import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../src/errors.js';
import { compareTensors, formatMismatch, ulpsBf16, ulpsF32 } from '../../src/numerics/index.js';
import { f32, f32ArrayToBf16, tensor } from '../../src/tensor/index.js';

const EXACT = { atol: 0, rtol: 0 };
const nextUp = (x: number) =>
  new Float32Array(Uint32Array.of(new Uint32Array(Float32Array.of(x).buffer)[0]! + 1).buffer)[0]!;

describe('ulpsF32', () => {
  it('counts representable float32 values between two numbers, across zero', () => {
    expect(ulpsF32(1, nextUp(1))).toBe(1);
    expect(ulpsF32(1, 2)).toBe(2 ** 23);
    expect(ulpsF32(-0, 0)).toBe(0);
    expect(ulpsF32(2 ** -149, -(2 ** -149))).toBe(2); // smallest subnormals either side of zero
    expect(ulpsF32(3.4028234663852886e38, Infinity)).toBe(1);
    expect(ulpsF32(NaN, 1)).toBeNaN();
    expect(ulpsBf16(1, 1 + 2 ** -7)).toBe(1);
  });
});

describe('compareTensors', () => {
  it('passes within |a − e| ≤ atol + rtol·|e| and fails just outside', () => {
    const e = f32([2], [1, -2]);
    expect(compareTensors(f32([2], [1.5, -2]), e, { atol: 0.5, rtol: 0 }).ok).toBe(true);
    expect(compareTensors(f32([2], [1.5, -2]), e, { atol: 0.25, rtol: 0.25 }).ok).toBe(true); // 0.25 + 0.25·1
    const r = compareTensors(f32([2], [1.5, -2.75]), e, { atol: 0.25, rtol: 0.25 }); // −2: 0.25 + 0.5 = 0.75 ok; 1: 0.5 ok
    expect(r.ok).toBe(true);
    const bad = compareTensors(f32([2], [1.5, -2.875]), e, { atol: 0.25, rtol: 0.25 });
    expect(bad.ok).toBe(false);
    expect(bad.mismatches).toBe(1);
    expect(bad.maxAbs).toBe(0.875);
    expect(bad.worst[0]).toMatchObject({ index: [1], actual: -2.875, expected: -2, abs: 0.875 });
  });

  it('NaN equals NaN and nothing else; infinities must match exactly; −0 equals +0', () => {
    expect(compareTensors(f32([2], [NaN, -0]), f32([2], [NaN, 0]), EXACT).ok).toBe(true);
    const nan = compareTensors(f32([1], [NaN]), f32([1], [1]), { atol: 1e9, rtol: 1e9 });
    expect(nan.ok).toBe(false);
    expect(nan.maxAbs).toBe(Infinity);
    expect(compareTensors(f32([1], [1]), f32([1], [NaN]), { atol: 1e9, rtol: 0 }).ok).toBe(false);
    expect(compareTensors(f32([1], [Infinity]), f32([1], [Infinity]), EXACT).ok).toBe(true);
    expect(compareTensors(f32([1], [-Infinity]), f32([1], [Infinity]), { atol: Infinity, rtol: 0 }).ok).toBe(false);
    expect(compareTensors(f32([1], [3e38]), f32([1], [Infinity]), { atol: 1e9, rtol: 1 }).ok).toBe(false);
  });

  it('compares integer tensors exactly, across integer dtypes and beyond 2^53', () => {
    const a = tensor('i64', [2], BigInt64Array.from([2n ** 60n, 3n]));
    const b = tensor('i64', [2], BigInt64Array.from([2n ** 60n + 1n, 3n]));
    const r = compareTensors(a, b, { atol: 100, rtol: 1 });
    expect(r.ok).toBe(false);
    expect(r.exact).toBe(true);
    expect(
      compareTensors(
        tensor('u8', [2], Uint8Array.from([1, 2])),
        tensor('i64', [2], BigInt64Array.from([1n, 2n])),
        EXACT,
      ).ok,
    ).toBe(true);
    expect(
      compareTensors(tensor('i32', [1], Int32Array.from([2])), tensor('i16', [1], Int16Array.from([3])), {
        atol: 5,
        rtol: 0,
      }).ok,
    ).toBe(false);
  });

  it('compares mixed float dtypes by value and measures ulps in the expected dtype', () => {
    const bf = tensor('bf16', [1], f32ArrayToBf16([1 + 2 ** -7]));
    const r = compareTensors(f32([1], [1]), bf, { atol: 0, rtol: 0 });
    expect(r.maxUlps).toBe(1);
  });

  it('keeps the five worst elements, failing ones first, by absolute difference', () => {
    const e = f32([8], new Array(8).fill(0));
    const a = f32([8], [0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.05, 0.6]);
    const r = compareTensors(a, e, { atol: 0.65, rtol: 0 });
    expect(r.mismatches).toBe(3);
    expect(r.worst.map((w) => w.flat)).toEqual([1, 3, 5, 7, 4]);
  });

  it('throws a ShapeError for different shapes or integer vs float', () => {
    expect(() => compareTensors(f32([2], [1, 2]), f32([1, 2], [1, 2]), EXACT)).toThrow(ShapeError);
    expect(() => compareTensors(tensor('i32', [1], Int32Array.of(1)), f32([1], [1]), EXACT)).toThrow(
      /both must be floats or both integers/,
    );
  });

  it('formats a readable message with label, rule, index, values, abs/rel error and ulps', () => {
    const r = compareTensors(f32([2, 2], [1, 2, 3, 4.5]), f32([2, 2], [1, 2, 3, 4]), { atol: 1e-6, rtol: 1e-6 });
    const msg = formatMismatch(r, 'delta q_proj');
    expect(msg).toContain('delta q_proj: 1 of 4 elements of (2, 2) f32 fail |a − e| ≤ 0.000001 + 0.000001·|e|');
    expect(msg).toContain('[1, 1]: actual 4.5, expected 4, abs 0.5, rel 0.125, ulps 1048576');
  });
});
