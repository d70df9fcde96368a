import fc from 'fast-check';
import { describe, it } from 'vitest';
import { createRng, f32ToBf16Bits, merge, tensor, unmerge, type MergeArgs } from '@vblora/core';
import { createCpuBackend } from '../src/index.js';
import { sameBits, sync } from '../../core/test/helpers/bits.js';

// Wide rows (500 to 2600 columns: many SIMD steps per row, then a ragged tail) with special values spread along
// them, as a blocked or tiled walk over the weight would split them: the cpu backend must give the reference's
// bits (any NaN as NaN, see core/test/helpers/bits.ts), merging and unmerging, in both layouts.

const cpu = createCpuBackend();

function values(n: number, seed: number, special: boolean, scale: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => {
    if (special) {
      const u = rng.uniform();
      if (u < 0.01) return -0;
      if (u < 0.015) return Number.NaN;
      if (u < 0.02) return Number.NEGATIVE_INFINITY;
    }
    return rng.normal() * scale;
  });
}

describe('merge of wide rows = reference, bit for bit (fast-check, seed 20261203)', () => {
  const dims = fc.record({
    inF: fc.integer({ min: 500, max: 2600 }),
    outF: fc.integer({ min: 1, max: 27 }),
    r: fc.constantFrom(1, 3, 4, 5),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    special: fc.boolean(),
  });

  it('f32 and bf16, merge and unmerge, both layouts', () => {
    fc.assert(
      fc.property(dims, fc.boolean(), fc.boolean(), ({ inF, outF, r, seed, special }, bf16, fanInFanOut) => {
        const shape = fanInFanOut ? [inF, outF] : [outF, inF];
        const f = values(inF * outF, seed, special, 0.02);
        const weight = bf16
          ? tensor(
              'bf16',
              shape,
              Uint16Array.from(f, (v) => f32ToBf16Bits(v)),
            )
          : tensor('f32', shape, f);
        // NaN and −inf in A reach single columns all along the rows; B stays finite (a NaN there spoils whole rows)
        const A = tensor('f32', [r, inF], values(r * inF, seed + 1, special, 0.1));
        const B = tensor('f32', [outF, r], values(outF * r, seed + 2, false, 0.1));
        const args: MergeArgs = { weight, A, B, fanInFanOut };
        sameBits(sync(cpu.kernels.merge!(args)), merge(args));
        sameBits(sync(cpu.kernels.unmerge!(args)), unmerge(args));
      }),
      { seed: 20261203, numRuns: 60 },
    );
  });

  it('rank 4 bfloat16 rows on each side of the shortcut conditions, 2300 columns wide', () => {
    // the rank-4 loops pick a shortcut per row (see merge.wat): rows whose products can overflow or are ±0 take
    // the exact loop; here those rows sit between ordinary ones (2300 columns: 143 steps of 16 and a tail of 12)
    const cols = 2300;
    const rows = 19;
    const rng = createRng(77);
    const W = Float32Array.from({ length: rows * cols }, () => rng.normal() * 0.02);
    W.fill(-0, 3 * cols, 4 * cols);
    const A = Float32Array.from({ length: 4 * cols }, () => rng.normal() * 0.1);
    A[cols + 1500] = 2 ** 120; // a product that overflows for the rows with a large coefficient
    const B = Float32Array.from({ length: rows * 4 }, (_, i) => ((i >> 2) % 5 === 2 ? 2 ** 20 : rng.normal() * 0.1));
    B.fill(0, 12, 16); // row 3: every product ±0, with −0 weights: the +0 start decides the sign
    const args: MergeArgs = {
      weight: tensor(
        'bf16',
        [rows, cols],
        Uint16Array.from(W, (v) => f32ToBf16Bits(v)),
      ),
      A: tensor('f32', [4, cols], A),
      B: tensor('f32', [rows, 4], B),
    };
    sameBits(sync(cpu.kernels.merge!(args)), merge(args));
    sameBits(sync(cpu.kernels.unmerge!(args)), unmerge(args));
  });
});
