import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NumericalError, ShapeError } from '../../src/errors.js';
import { deltaWeight, merge, unmerge } from '../../src/kernels/index.js';
import { f32, f32ArrayToBf16, f32ArrayToF16, tensor, toF32 } from '../../src/tensor/index.js';
import { expectClose, maxAbsOf } from './helpers/assert-close.js';
import { f64Tensor, randomNormal, randomUniform } from './helpers/f64-reference.js';

/** Round-to-nearest-even of a float32 value to bfloat16, written independently of src/tensor/half.ts. */
function rneBf16(x: number): number {
  const bits = new Uint32Array(Float32Array.of(x).buffer)[0]!;
  const lo = new Float32Array(Uint32Array.of(bits & 0xffff0000).buffer)[0]!; // toward zero
  const hi = new Float32Array(Uint32Array.of(((bits & 0xffff0000) + 0x10000) >>> 0).buffer)[0]!; // away from zero
  const dLo = Math.abs(x - lo);
  const dHi = Math.abs(hi - x);
  if (dLo !== dHi) return dLo < dHi ? lo : hi;
  return ((bits >>> 16) & 1) === 0 ? lo : hi; // tie: even significand
}

const dims = fc.record({
  r: fc.integer({ min: 1, max: 8 }),
  inF: fc.integer({ min: 1, max: 12 }),
  outF: fc.integer({ min: 1, max: 12 }),
  fif: fc.boolean(),
  seed: fc.integer({ min: 0, max: 2 ** 31 }),
});

function setup(d: { r: number; inF: number; outF: number; fif: boolean; seed: number }) {
  const A = randomUniform([d.r, d.inF], d.seed, 0.1);
  const B = randomUniform([d.outF, d.r], d.seed + 1, 0.1);
  const shape = d.fif ? [d.inF, d.outF] : [d.outF, d.inF];
  const W = randomNormal(shape, d.seed + 2, 0.05);
  return { A, B, W, shape };
}

describe('deltaWeight', () => {
  it('equals Σ_r B·A in float64 within (r + 1)·2^-24·Σ|B||A| and is transposed for fan_in_fan_out (fast-check, seed 77)', () => {
    fc.assert(
      fc.property(dims, (d) => {
        const { A, B } = setup(d);
        const got = deltaWeight({ A, B, fanInFanOut: d.fif });
        const want = new Float64Array(d.outF * d.inF);
        for (let o = 0; o < d.outF; o++) {
          for (let i = 0; i < d.inF; i++) {
            let s = 0;
            for (let j = 0; j < d.r; j++) s += B.data[o * d.r + j]! * A.data[j * d.inF + i]!;
            want[d.fif ? i * d.outF + o : o * d.inF + i] = s;
          }
        }
        // |A|, |B| ≤ 0.1 → Σ|B||A| ≤ r·0.01; r products and r − 1 sums each round by ≤ 2^-24 relative
        const atol = (d.r + 1) * 2 ** -24 * d.r * 0.01;
        expectClose(got, f64Tensor(d.fif ? [d.inF, d.outF] : [d.outF, d.inF], want), { atol, rtol: 0 }, 'delta');
      }),
      { seed: 77, numRuns: 80 },
    );
  });
});

describe('merge / unmerge', () => {
  it('f32: merge equals fl(W + ΔW) and unmerge(merge(W)) returns W within two roundings (fast-check, seed 91)', () => {
    fc.assert(
      fc.property(dims, (d) => {
        const { A, B, W } = setup(d);
        const delta = deltaWeight({ A, B, fanInFanOut: d.fif });
        const merged = merge({ weight: W, A, B, fanInFanOut: d.fif });
        const want = Float32Array.from(W.data, (w, i) => w + delta.data[i]!); // Float32Array rounds once
        expectClose(merged, tensor('f32', W.shape, want), { atol: 0, rtol: 0 }, 'merged');
        const back = unmerge({ weight: merged, A, B, fanInFanOut: d.fif });
        // each of the two roundings moves an element by ≤ half an ulp of a value ≤ max|W| + max|ΔW|
        const atol = 2 ** -24 * 2 * (maxAbsOf(W) + maxAbsOf(delta));
        expectClose(back, W, { atol, rtol: 0 }, 'unmerged');
      }),
      { seed: 91, numRuns: 80 },
    );
  });

  it('bf16: merge equals round-to-nearest-even of the float32 sum; unmerge returns W within two bf16 roundings (seed 92)', () => {
    fc.assert(
      fc.property(dims, (d) => {
        const { A, B, W } = setup(d);
        const Wb = tensor('bf16', W.shape, f32ArrayToBf16(W.data));
        const wf = toF32(Wb).data;
        const delta = deltaWeight({ A, B, fanInFanOut: d.fif });
        const merged = merge({ weight: Wb, A, B, fanInFanOut: d.fif });
        expect(merged.dtype).toBe('bf16');
        const want = Float64Array.from(wf, (w, i) => rneBf16(Math.fround(w + delta.data[i]!)));
        expectClose(merged, f64Tensor(W.shape, want), { atol: 0, rtol: 0 }, 'merged bf16');
        const back = unmerge({ weight: merged, A, B, fanInFanOut: d.fif });
        const atol = 2 ** -8 * 2 * (maxAbsOf(toF32(Wb)) + maxAbsOf(delta)); // ≤ half a bf16 ulp per rounding
        expectClose(back, Wb, { atol, rtol: 0 }, 'unmerged bf16');
      }),
      { seed: 92, numRuns: 60 },
    );
  });

  it('f16 weights keep their dtype and round once from the float32 sum', () => {
    const A = f32([1, 2], [0.5, -0.25]);
    const B = f32([2, 1], [0.5, 1]);
    const W = tensor('f16', [2, 2], f32ArrayToF16([1, 2, 3, 4]));
    const merged = merge({ weight: W, A, B });
    expect(merged.dtype).toBe('f16');
    expect(Array.from(toF32(merged).data)).toEqual([1.25, 1.875, 3.5, 3.75]);
  });

  it('does not modify its input', () => {
    const W = f32([1, 1], [1]);
    merge({ weight: W, A: f32([1, 1], [1]), B: f32([1, 1], [1]) });
    expect(W.data[0]).toBe(1);
  });

  it('safe mode raises PEFT’s message naming adapter and module on NaN or overflow; unsafe mode keeps the values', () => {
    const A = f32([1, 2], [NaN, 1]);
    const B = f32([2, 1], [1, 1]);
    const W = f32([2, 2], [0, 0, 0, 0]);
    expect(() => merge({ weight: W, A, B, safe: true, adapter: 'ad', module: 'model.q_proj' })).toThrow(
      'NaNs detected in the merged weights. The adapter ad seems to be broken (module model.q_proj',
    );
    try {
      merge({ weight: W, A, B, safe: true, module: 'model.q_proj' });
      expect.fail('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(NumericalError);
      expect((e as NumericalError).where).toBe('model.q_proj');
      expect((e as Error).message).toMatch(
        /^NaNs detected in the merged weights\. The adapter default seems to be broken/,
      );
    }
    expect(Number.isNaN(merge({ weight: W, A, B }).data[0])).toBe(true);
    // bf16 overflow: finite in float32, infinite after rounding to bf16
    const big = tensor('bf16', [1, 1], f32ArrayToBf16([3.3e38]));
    expect(() => merge({ weight: big, A: f32([1, 1], [1]), B: f32([1, 1], [3e37]), safe: true })).toThrow(
      NumericalError,
    );
  });

  it('rejects a weight of the wrong orientation, naming weight and the expected shape', () => {
    const A = f32([1, 3], [1, 2, 3]);
    const B = f32([2, 1], [1, 1]);
    expect(() => merge({ weight: f32([3, 2], new Array(6).fill(0)), A, B })).toThrow(
      /weight must have shape \(2, 3\) \(out, in\)/,
    );
    expect(() => merge({ weight: f32([2, 3], new Array(6).fill(0)), A, B, fanInFanOut: true })).toThrow(ShapeError);
    expect(() => merge({ weight: tensor('i32', [2, 3], new Int32Array(6)) as never, A, B })).toThrow(
      /weight must be f32, bf16 or f16/,
    );
    expect(() => deltaWeight({ A, B: f32([2, 2], [1, 1, 1, 1]) })).toThrow(/must have r = 1 columns/);
  });
});
