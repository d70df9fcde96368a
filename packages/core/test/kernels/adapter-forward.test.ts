import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../../src/errors.js';
import { adapterForward, dropoutMask, linear, mixedBatchForward } from '../../src/kernels/index.js';
import { f32, f32ArrayToBf16, tensor, toF32 } from '../../src/tensor/index.js';
import { EXACT, expectClose } from './helpers/assert-close.js';
import { f64Tensor, randomNormal, randomUniform } from './helpers/f64-reference.js';

describe('linear', () => {
  it('equals x·Wᵀ + b (x·W + b for fan_in_fan_out) in float64 within (in + 1)·2^-24·Σ|x||W| (fast-check, seed 31)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 1, max: 9 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (n, inF, outF, fif, seed) => {
          const x = randomNormal([n, inF], seed);
          const W = randomUniform(fif ? [inF, outF] : [outF, inF], seed + 1, 0.5);
          const b = randomUniform([outF], seed + 2, 0.5);
          const y = linear({ x, weight: W, bias: b, fanInFanOut: fif });
          const want = new Float64Array(n * outF);
          let scale = 0;
          for (let i = 0; i < n; i++) {
            for (let o = 0; o < outF; o++) {
              let s = b.data[o]!;
              let mag = Math.abs(s);
              for (let c = 0; c < inF; c++) {
                const w = fif ? W.data[c * outF + o]! : W.data[o * inF + c]!;
                s += x.data[i * inF + c]! * w;
                mag += Math.abs(x.data[i * inF + c]! * w);
              }
              want[i * outF + o] = s;
              scale = Math.max(scale, mag);
            }
          }
          expectClose(y, f64Tensor([n, outF], want), { atol: (inF + 2) * 2 ** -24 * scale, rtol: 0 }, 'y');
        },
      ),
      { seed: 31, numRuns: 60 },
    );
  });

  it('keeps x’s dtype (bf16 in, bf16 out) and checks shapes', () => {
    const x = tensor('bf16', [1, 2], f32ArrayToBf16([1, 2]));
    const y = linear({ x, weight: f32([1, 2], [0.5, 0.25]) });
    expect(y.dtype).toBe('bf16');
    expect(Array.from(toF32(y).data)).toEqual([1]);
    expect(() => linear({ x, weight: f32([2, 3], new Array(6).fill(0)) })).toThrow(
      /weight must have shape \(out, in=2\)/,
    );
    expect(() => linear({ x, weight: f32([1, 2], [0, 0]), bias: f32([2], [0, 0]) })).toThrow(
      /bias must have shape \(1,\)/,
    );
  });
});

describe('adapterForward', () => {
  const x = randomNormal([6, 8], 1);
  const A = randomUniform([3, 8], 2, 0.1);
  const B = randomUniform([5, 3], 3, 0.1);
  const baseOut = randomNormal([6, 5], 4);

  it('equals baseOut + (x·Aᵀ)·Bᵀ in float64 within rounding', () => {
    const y = adapterForward({ x, baseOut, A, B });
    const want = new Float64Array(30);
    for (let n = 0; n < 6; n++) {
      for (let o = 0; o < 5; o++) {
        let t = 0;
        for (let i = 0; i < 3; i++) {
          let h = 0;
          for (let c = 0; c < 8; c++) h += x.data[n * 8 + c]! * A.data[i * 8 + c]!;
          t += h * B.data[o * 3 + i]!;
        }
        want[n * 5 + o] = baseOut.data[n * 5 + o]! + t;
      }
    }
    // |baseOut| ≲ 4 dominates: the final float32 rounding is ≤ 2^-24·4; the adapter term (≲ 0.1) adds ≤ 12·2^-24·0.1
    expectClose(y, f64Tensor([6, 5], want), { atol: 2 ** -24 * 4 + 12 * 2 ** -24 * 0.1, rtol: 2 ** -24 }, 'y');
  });

  it('dropout with p = 0 is the identity, bit for bit', () => {
    expectClose(
      adapterForward({ x, baseOut, A, B, dropout: { p: 0, seed: 9 } }),
      adapterForward({ x, baseOut, A, B }),
      EXACT,
      'p=0',
    );
  });

  it('dropout with p > 0 is reproducible per seed, differs between seeds, and scales kept inputs by 1/(1−p)', () => {
    const p = 0.25;
    const y1 = adapterForward({ x, baseOut, A, B, dropout: { p, seed: 123 } });
    const y2 = adapterForward({ x, baseOut, A, B, dropout: { p, seed: 123 } });
    const y3 = adapterForward({ x, baseOut, A, B, dropout: { p, seed: 124 } });
    expectClose(y1, y2, EXACT, 'same seed');
    expect(Array.from(y1.data)).not.toEqual(Array.from(y3.data));
    // the same result from an explicitly masked input: x·mask/(1−p), then no dropout
    const mask = dropoutMask(x.data.length, p, 123);
    const scale = Math.fround(1 / Math.fround(1 - p));
    const xm = tensor(
      'f32',
      x.shape,
      Float32Array.from(x.data, (v, j) => (mask[j] === 1 ? v * scale : 0)),
    );
    expectClose(y1, adapterForward({ x: xm, baseOut, A, B }), EXACT, 'explicit mask');
  });

  it('keeps each element with probability 1 − p (binomial, 5σ) and drops all at p = 1', () => {
    for (const p of [0.1, 0.5, 0.9]) {
      const n = 20000;
      const kept = dropoutMask(n, p, 2024).reduce((s, v) => s + v, 0);
      const sigma = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(kept - n * (1 - p))).toBeLessThan(5 * sigma);
    }
    expect(dropoutMask(100, 1, 1).every((v) => v === 0)).toBe(true);
    expect(() => dropoutMask(10, 1.5, 1)).toThrow(ConfigError);
    expect(() => adapterForward({ x, baseOut, A, B, dropout: { p: -0.1, seed: 1 } })).toThrow(
      /dropout probability must be in \[0, 1\]/,
    );
  });

  it('rejects mismatched shapes with errors naming x or baseOut', () => {
    expect(() => adapterForward({ x: randomNormal([6, 7], 1), baseOut, A, B })).toThrow(
      /x \(6, 7\) must end in in = 8/,
    );
    expect(() => adapterForward({ x, baseOut: randomNormal([6, 4], 1), A, B })).toThrow(
      /baseOut must have shape \(6, 5\)/,
    );
  });
});

describe('mixedBatchForward', () => {
  it('equals adapterForward row by row with each row’s adapter (bit-exact; −1 = base only) (fast-check, seed 64)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.boolean(),
        (n, nAdapters, seed, bf16) => {
          const inF = 6;
          const outF = 4;
          const adapters = Array.from({ length: nAdapters }, (_, a) => {
            const r = 1 + ((seed + a) % 4); // ranks differ between adapters
            return {
              A: randomUniform([r, inF], seed + 10 * a, 0.1),
              B: randomUniform([outF, r], seed + 10 * a + 1, 0.1),
            };
          });
          const x32 = randomNormal([n, inF], seed + 5);
          const x = bf16 ? tensor('bf16', x32.shape, f32ArrayToBf16(x32.data)) : x32;
          const baseOut = randomNormal([n, outF], seed + 6);
          const rowAdapter = Int32Array.from({ length: n }, (_, i) => ((seed >>> i) % (nAdapters + 1)) - 1);
          const y = mixedBatchForward({ x, baseOut, adapters, rowAdapter });
          const yf = toF32(y).data;
          for (let i = 0; i < n; i++) {
            const xi = tensor(x.dtype, [1, inF], x.data.slice(i * inF, (i + 1) * inF) as never);
            const bi = tensor('f32', [1, outF], baseOut.data.slice(i * outF, (i + 1) * outF));
            const a = rowAdapter[i]!;
            const want =
              a === -1
                ? toF32(linearIdentity(bi, x.dtype)).data
                : toF32(adapterForward({ x: xi, baseOut: bi, ...adapters[a]! })).data;
            expect(Array.from(yf.subarray(i * outF, (i + 1) * outF))).toEqual(Array.from(want));
          }
        },
      ),
      { seed: 64, numRuns: 60 },
    );
  });

  it('rejects a bad row adapter number and adapters of the wrong width', () => {
    const x = randomNormal([2, 4], 1);
    const baseOut = randomNormal([2, 3], 2);
    const ok = { A: randomUniform([2, 4], 3), B: randomUniform([3, 2], 4) };
    expect(() => mixedBatchForward({ x, baseOut, adapters: [ok], rowAdapter: Int32Array.from([0, 1]) })).toThrow(
      /rowAdapter\[1\] = 1 is not an adapter number/,
    );
    expect(() => mixedBatchForward({ x, baseOut, adapters: [ok], rowAdapter: Int32Array.from([0]) })).toThrow(
      /2 entries/,
    );
    const bad = { A: randomUniform([2, 5], 3), B: randomUniform([3, 2], 4) };
    expect(() => mixedBatchForward({ x, baseOut, adapters: [ok, bad], rowAdapter: Int32Array.from([0, 0]) })).toThrow(
      ShapeError,
    );
  });
});

/** The base output converted to x's dtype: what a row without adapter must equal. */
function linearIdentity(baseRow: ReturnType<typeof randomNormal>, dtype: 'f32' | 'bf16') {
  return dtype === 'f32' ? baseRow : tensor('bf16', baseRow.shape, f32ArrayToBf16(baseRow.data));
}
