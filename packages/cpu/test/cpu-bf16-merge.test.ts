import { describe, it } from 'vitest';
import { f32ToBf16Bits, merge, tensor, unmerge, createRng, type HostTensor, type MergeArgs } from '@vblora/core';
import { createCpuBackend } from '../src/index.js';
import { sameBits, sync } from '../../core/test/helpers/bits.js';

const cpu = createCpuBackend();
const k = {
  merge: (a: MergeArgs) => sync(cpu.kernels.merge!(a)),
  unmerge: (a: MergeArgs) => sync(cpu.kernels.unmerge!(a)),
};

// The rank-4 bfloat16 loops take shortcuts on rows that allow them (no +0 start when some product can never be
// ±0; unmerge as W − ΔW when nothing can overflow; NaN lanes through the rounding formula when the factors hold
// no NaN). These cases sit on each side of those conditions, with 40 columns (two 16-column steps and a tail).
describe('bfloat16 rank-4 shortcuts: ties, products that underflow to ±0 or overflow, NaN factors', () => {
  const cols = 40;
  const bf16 = (f: Float32Array) =>
    tensor(
      'bf16',
      [f.length / cols, cols],
      Uint16Array.from(f, (v) => f32ToBf16Bits(v)),
    );
  const check = (w: HostTensor<'bf16'>, A: Float32Array, B: Float32Array) => {
    const args = { weight: w, A: tensor('f32', [4, cols], A), B: tensor('f32', [w.shape[0]!, 4], B) };
    sameBits(k.merge(args), merge(args));
    sameBits(k.unmerge(args), unmerge(args));
  };

  it('ties to even: W in [1, 2) plus deltas that are multiples of 2^-10 (1 in 8 lands halfway)', () => {
    const rng = createRng(808);
    const rows = 24;
    const W = Float32Array.from({ length: rows * cols }, () => 1 + Math.floor(rng.uniform() * 128) / 128);
    const A = Float32Array.from({ length: 4 * cols }, () => (Math.floor(rng.uniform() * 40) - 20 || 1) / 1024);
    const B = Float32Array.from({ length: rows * 4 }, () => (rng.uniform() < 0.5 ? 1 : -1));
    check(bf16(W), A, B);
  });

  it('products that underflow to −0 or +0 (the +0 start matters) and products that overflow', () => {
    const W = new Float32Array(4 * cols);
    W.fill(-0, 0, cols); // row 0: −0 weights, all products −0 → the reference's +0 start gives +0
    W.fill(1.5, cols);
    // the first 32 columns of A negative and tiny: row 0's products (2^-100 · −2^-80) all round to −0, so only the
    // reference's +0 start makes its delta +0 (and −0 + +0 = +0); the rest mixed in sign and size
    const A = Float32Array.from(
      { length: 4 * cols },
      (_, i) => (i % cols < 32 || i % 3 === 0 ? -(2 ** -80) : 2 ** -90) * (1 + (i % 7) / 8),
    );
    const B = Float32Array.from([
      2 ** -100,
      2 ** -100,
      2 ** -100,
      2 ** -100,
      1,
      -1,
      0.5,
      2 ** -70,
      2 ** 100,
      2 ** 100,
      -(2 ** 100),
      1,
      2 ** 127,
      2 ** 127,
      2 ** 127,
      2 ** 127,
    ]);
    check(bf16(W), A, B);
    const big = Float32Array.from({ length: 4 * cols }, (_, i) => (i % 5 === 0 ? 2 ** 120 : -(2 ** 110)));
    check(bf16(W), big, B);
  });

  it('a NaN or ±inf in vec or in a row of coefficients (the exact loops), and NaN or ±inf weights', () => {
    const rng = createRng(809);
    const W = Float32Array.from({ length: 4 * cols }, (_, i) =>
      i === 7 ? Number.NaN : i === 50 ? Number.POSITIVE_INFINITY : i === 93 ? Number.NEGATIVE_INFINITY : rng.normal(),
    );
    const A = Float32Array.from({ length: 4 * cols }, () => rng.normal() * 0.1);
    const B = Float32Array.from({ length: 16 }, () => rng.normal() * 0.1);
    check(bf16(W), A, B);
    const nanA = A.slice();
    nanA[cols + 19] = Number.NaN;
    check(bf16(W), nanA, B);
    const infA = A.slice();
    infA[3 * cols + 33] = Number.NEGATIVE_INFINITY;
    check(bf16(W), infA, B);
    const nanB = B.slice();
    nanB[9] = Number.NaN;
    check(bf16(W), A, nanB);
  });
});
