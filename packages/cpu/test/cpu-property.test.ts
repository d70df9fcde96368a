import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  adapterForward,
  composeLowRank,
  createRng,
  f32ToBf16Bits,
  linear,
  merge,
  tensor,
  unmerge,
  type HostTensor,
  type LowRankPair,
} from '@vblora/core';
import { createCpuBackend } from '../src/index.js';

// Properties over random shapes and values (fast-check with a fixed seed, bounded runs): the CPU backend returns
// the reference kernels' bits. Values come from a seeded RNG with a share of special values (±0, ±inf, NaN in
// weights; ties, NaN and −inf in logits) so every wasm path and tail is reached over the runs.

const cpu = createCpuBackend();
/**
 * Raw bits, with every NaN written as one canonical NaN: a NaN made by an invalid operation (inf − inf, 0 · inf)
 * has the CPU's sign and payload in wasm (x86: negative) but JavaScript's canonical bits in the reference, and
 * both are NaN; every other value must match exactly.
 */
const bits = (t: HostTensor): number[] => {
  if (t.data instanceof Float32Array)
    return Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length), (b) =>
      (b & 0x7fffffff) > 0x7f800000 ? 0x7fc00000 : b,
    );
  return Array.from(t.data as Uint16Array, (h) => ((h & 0x7fff) > 0x7f80 ? 0x7fc0 : h));
};

const dims = fc.record({
  rows: fc.integer({ min: 1, max: 24 }),
  inF: fc.integer({ min: 1, max: 70 }),
  outF: fc.integer({ min: 1, max: 70 }),
  r: fc.integer({ min: 1, max: 9 }),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  special: fc.boolean(),
});

function values(n: number, seed: number, special: boolean, scale = 1): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => {
    if (special) {
      const u = rng.uniform();
      if (u < 0.03) return -0;
      if (u < 0.05) return 0;
      if (u < 0.06) return Number.NaN;
      if (u < 0.07) return Number.POSITIVE_INFINITY;
    }
    return rng.normal() * scale;
  });
}

describe('cpu backend = reference, bit for bit (fast-check, seed 20261129)', () => {
  const params = { seed: 20261129, numRuns: 150 };

  it('merge and unmerge, f32 and bf16, both layouts', () => {
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
        const A = tensor('f32', [r, inF], values(r * inF, seed + 1, special, 0.1));
        const B = tensor('f32', [outF, r], values(outF * r, seed + 2, false, 0.1));
        const args = { weight, A, B, fanInFanOut };
        expect(bits(cpu.kernels.merge!(args) as HostTensor)).toEqual(bits(merge(args)));
        expect(bits(cpu.kernels.unmerge!(args) as HostTensor)).toEqual(bits(unmerge(args)));
      }),
      params,
    );
  });

  it('linear and adapterForward', () => {
    fc.assert(
      fc.property(dims, fc.boolean(), ({ rows, inF, outF, r, seed, special }, withBias) => {
        const x = tensor('f32', [rows, inF], values(rows * inF, seed, special));
        const weight = tensor('f32', [outF, inF], values(outF * inF, seed + 1, false, 0.1));
        const bias = withBias ? tensor('f32', [outF], values(outF, seed + 2, false)) : undefined;
        const largs = bias === undefined ? { x, weight } : { x, weight, bias };
        expect(bits(cpu.kernels.linear!(largs) as HostTensor)).toEqual(bits(linear(largs)));
        const baseOut = tensor('f32', [rows, outF], values(rows * outF, seed + 3, false));
        const A = tensor('f32', [r, inF], values(r * inF, seed + 4, special, 0.1));
        const B = tensor('f32', [outF, r], values(outF * r, seed + 5, false, 0.1));
        expect(bits(cpu.kernels.adapterForward!({ x, baseOut, A, B }) as HostTensor)).toEqual(
          bits(adapterForward({ x, baseOut, A, B })),
        );
      }),
      params,
    );
  });

  it('composeLowRank from logits and from the top-k form', () => {
    fc.assert(
      fc.property(
        fc.record({
          nv: fc.integer({ min: 1, max: 80 }),
          vl: fc.integer({ min: 1, max: 20 }),
          r: fc.integer({ min: 1, max: 6 }),
          inT: fc.integer({ min: 1, max: 4 }),
          outT: fc.integer({ min: 1, max: 4 }),
          kFrac: fc.double({ min: 0, max: 1, noNaN: true }),
          seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          ties: fc.boolean(),
        }),
        ({ nv, vl, r, inT, outT, kFrac, seed, ties }) => {
          const k = 1 + Math.floor(kFrac * (nv - 1));
          const rng = createRng(seed);
          const logit = () =>
            ties && rng.uniform() < 0.3
              ? 0.5
              : rng.uniform() < 0.02
                ? Number.NaN
                : rng.uniform() < 0.04
                  ? Number.NEGATIVE_INFINITY
                  : rng.normal() * 3;
          const bank = tensor('f32', [nv, vl], values(nv * vl, seed + 1, false));
          const logitsA = tensor('f32', [r, inT, nv], Float32Array.from({ length: r * inT * nv }, logit));
          const logitsB = tensor('f32', [outT, r, nv], Float32Array.from({ length: outT * r * nv }, logit));
          const got = cpu.kernels.composeLowRank!({ logitsA, logitsB, bank, k }) as LowRankPair;
          const want = composeLowRank({ logitsA, logitsB, bank, k });
          expect(bits(got.A)).toEqual(bits(want.A));
          expect(bits(got.B)).toEqual(bits(want.B));
        },
      ),
      params,
    );
  });
});
