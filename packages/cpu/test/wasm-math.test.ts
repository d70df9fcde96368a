import { describe, expect, it } from 'vitest';
import { CpuInstance } from '../src/cpu-instance.js';
import { createRng } from '@vblora/core';

// The CPU module's log and exp (wat/reload.wat) must return Math.log's and Math.exp's binary64 bits: the k = 2
// top-k reload runs on them and must equal the JavaScript loop bit for bit. packages/cpu/scripts/check-wasm-math.mjs checks
// every float32 input the reload can meet (1.6 billion, ~1 minute); this test checks a fixed-stride sample of
// them, random binary64 inputs of every magnitude (seeded), and the special values.

const { exports: e } = new CpuInstance();
const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const w64 = new Uint32Array(f64.buffer);

function mismatches(
  name: string,
  wasm: (x: number) => number,
  math: (x: number) => number,
  inputs: Iterable<number>,
): string[] {
  const bad: string[] = [];
  for (const x of inputs)
    if (!same(wasm(x), math(x)) && bad.length < 5) bad.push(`${name}(${x}): wasm ${wasm(x)}, Math ${math(x)}`);
  return bad;
}

function* float32s(from: number, to: number, stride: number): Generator<number> {
  for (let b = from; b <= to; b += stride) {
    u32[0] = b;
    yield f32[0]!;
  }
}

function* randomDoubles(seed: number, n: number, maxHigh: number, sign: boolean): Generator<number> {
  const rng = createRng(seed);
  for (let i = 0; i < n; i++) {
    w64[1] = (Math.floor(rng.uniform() * maxHigh) | (sign && rng.uniform() < 0.5 ? 0x80000000 : 0)) >>> 0;
    w64[0] = Math.floor(rng.uniform() * 2 ** 32) >>> 0;
    yield f64[0]!;
  }
}

describe('wasm log and exp = Math.log and Math.exp, bit for bit', () => {
  it('log on float32 in [0, 1] (stride 211) and on random positive doubles', () => {
    expect(mismatches('log', e.math_log, Math.log, float32s(0, 0x3f800000, 211))).toEqual([]);
    expect(mismatches('log', e.math_log, Math.log, randomDoubles(41, 300_000, 0x7ff00000, false))).toEqual([]);
  });

  it('exp on float32 in [−110, 0] (stride 211) and on random doubles of both signs', () => {
    expect(mismatches('exp', e.math_exp, Math.exp, float32s(0x80000000, 0xc2dc0000, 211))).toEqual([]);
    expect(mismatches('exp', e.math_exp, Math.exp, randomDoubles(43, 300_000, 0x40900000, true))).toEqual([]);
    // near zero, where the reduction is skipped or 1 + x is returned
    expect(mismatches('exp', e.math_exp, Math.exp, randomDoubles(47, 100_000, 0x3ff00000, true))).toEqual([]);
  });

  it('special values: ±0, ±1, ±inf, NaN, subnormals, the overflow and underflow thresholds, e^1', () => {
    const specials = [
      0,
      -0,
      1,
      -1,
      2,
      0.5,
      Infinity,
      -Infinity,
      NaN,
      5e-324,
      2.2250738585072014e-308,
      709.782712893384,
      709.79,
      -745.1332191019411,
      -745.14,
      -708.4,
      -720,
      0.34657359027997264,
      1.0397207708399179,
      2 ** -28,
      -(2 ** -29),
    ];
    expect(mismatches('log', e.math_log, Math.log, specials)).toEqual([]);
    expect(mismatches('exp', e.math_exp, Math.exp, specials)).toEqual([]);
  });
});
