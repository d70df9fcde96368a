import { describe, expect, it } from 'vitest';
import { readGoldenBytes } from '../../core/test/helpers/golden-files.js';
import { sameBits, sync } from '../../core/test/helpers/bits.js';
import {
  linear,
  adapterForward,
  adapterFromFiles,
  admixFromTopk,
  mixedBatchForward,
  composeAdapter,
  composeLowRank,
  createRng,
  f32ToBf16Bits,
  f32ToF16Bits,
  merge,
  NumericalError,
  ResourceLimitError,
  ShapeError,
  tensor,
  topkAdmixture,
  unmerge,
  type AdapterForwardArgs,
  type AdmixFromTopkArgs,
  type LinearArgs,
  type MixedBatchForwardArgs,
  type ComposeLowRankArgs,
  type HostTensor,
  type MergeArgs,
  type TopkAdmixtureArgs,
  type Rng,
  type WeightDType,
} from '@vblora/core';
import { createCpuBackend } from '../src/index.js';

// The CPU backend claims more than the conformance tolerances: bit-identical results to the reference kernels.
// These tests compare every output bit (raw bits; a NaN only as NaN, see canonical()), on shapes and
// values chosen to reach every path of wat/*.wat: rank 4 (unrolled) and other ranks, 8-column loops with
// 4-column and scalar tails, fan_in_fan_out, ±0, ±inf and NaN weights, ties and NaN logits.

const cpu = createCpuBackend();
const k = {
  merge: (a: MergeArgs) => sync(cpu.kernels.merge!(a)),
  unmerge: (a: MergeArgs) => sync(cpu.kernels.unmerge!(a)),
  topkAdmixture: (a: TopkAdmixtureArgs) => sync(cpu.kernels.topkAdmixture!(a)),
  admixFromTopk: (a: AdmixFromTopkArgs) => sync(cpu.kernels.admixFromTopk!(a)),
  composeLowRank: (a: ComposeLowRankArgs) => sync(cpu.kernels.composeLowRank!(a)),
  adapterForward: (a: AdapterForwardArgs) => sync(cpu.kernels.adapterForward!(a)),
  linear: (a: LinearArgs) => sync(cpu.kernels.linear!(a)),
  mixedBatchForward: (a: MixedBatchForwardArgs) => sync(cpu.kernels.mixedBatchForward!(a)),
};

/** Mostly N(0, 0.02), with the special values every ~50 elements. */
function specialValue(rng: Rng, scale: number): number {
  const u = rng.uniform();
  if (u < 0.005) return 0;
  if (u < 0.01) return -0;
  if (u < 0.012) return Number.NaN;
  if (u < 0.014) return Number.POSITIVE_INFINITY;
  if (u < 0.016) return Number.NEGATIVE_INFINITY;
  return rng.normal() * scale;
}

function weight(rng: Rng, dtype: WeightDType, shape: [number, number], special: boolean): HostTensor<WeightDType> {
  const n = shape[0] * shape[1];
  const f = Float32Array.from({ length: n }, () => (special ? specialValue(rng, 0.02) : rng.normal() * 0.02));
  if (dtype === 'f32') return tensor('f32', shape, f);
  const bits = Uint16Array.from(f, (v) => (dtype === 'bf16' ? f32ToBf16Bits(v) : f32ToF16Bits(v)));
  return tensor(dtype, shape, bits);
}

const factors = (rng: Rng, r: number, inF: number, outF: number, zeros: boolean) => ({
  A: tensor(
    'f32',
    [r, inF],
    Float32Array.from({ length: r * inF }, () => (zeros && rng.uniform() < 0.2 ? -0 : rng.normal() * 0.1)),
  ),
  B: tensor(
    'f32',
    [outF, r],
    Float32Array.from({ length: outF * r }, () => (zeros && rng.uniform() < 0.2 ? 0 : rng.normal() * 0.1)),
  ),
});

describe('cpu backend: merge and unmerge, bit-identical to the reference', () => {
  const rng = createRng(20261129);
  for (const dtype of ['f32', 'bf16', 'f16'] as const) {
    for (const r of [1, 3, 4, 6]) {
      for (const [outF, inF] of [
        [7, 37],
        [16, 64],
        [5, 13],
        [3, 8],
      ] as const) {
        for (const fanInFanOut of [false, true]) {
          it(`${dtype} r ${r} W ${fanInFanOut ? `(${inF}, ${outF}) fan_in_fan_out` : `(${outF}, ${inF})`}`, () => {
            const w = weight(rng, dtype, fanInFanOut ? [inF, outF] : [outF, inF], true);
            const { A, B } = factors(rng, r, inF, outF, true);
            const args = { weight: w, A, B, fanInFanOut };
            sameBits(k.merge(args), merge(args));
            sameBits(k.unmerge(args), unmerge(args));
          });
        }
      }
    }
  }

  it('a −0 weight plus an all −0 delta is +0, as in the reference (the sum starts from +0)', () => {
    const w = tensor('f32', [1, 9], new Float32Array(9).fill(-0));
    const A = tensor('f32', [4, 9], new Float32Array(36).fill(-0));
    const B = tensor('f32', [1, 4], new Float32Array([1, 1, 1, 1]));
    const out = k.merge({ weight: w, A, B });
    sameBits(out, merge({ weight: w, A, B }));
    expect(Object.is(out.data[0], 0)).toBe(true);
  });

  it('safe mode: the reference NumericalError, naming the first non-finite element', () => {
    for (const dtype of ['f32', 'bf16', 'f16'] as const) {
      const data = new Float32Array(40).fill(0.5);
      data[29] = Number.NaN;
      const w =
        dtype === 'f32'
          ? tensor('f32', [4, 10], data)
          : tensor(
              dtype,
              [4, 10],
              Uint16Array.from(data, (v) => (dtype === 'bf16' ? f32ToBf16Bits(v) : f32ToF16Bits(v))),
            );
      const { A, B } = factors(createRng(1), 4, 10, 4, false);
      const args = { weight: w, A, B, safe: true, adapter: 'x', module: 'm.q' };
      let want: unknown;
      try {
        merge(args);
      } catch (e) {
        want = e;
      }
      expect(want).toBeInstanceOf(NumericalError);
      expect(() => k.merge(args)).toThrow(NumericalError);
      expect(() => k.merge(args)).toThrow((want as Error).message);
      expect((want as Error).message).toContain('flat index 29');
    }
  });

  it('bf16 rounding overflows to inf like the reference, and safe mode rejects it', () => {
    const w = tensor('bf16', [1, 8], new Uint16Array(8).fill(0x7f7f)); // the largest finite bf16
    const A = tensor('f32', [1, 8], new Float32Array(8).fill(3e38));
    const B = tensor('f32', [1, 1], new Float32Array([1]));
    sameBits(k.merge({ weight: w, A, B }), merge({ weight: w, A, B }));
    expect(() => k.merge({ weight: w, A, B, safe: true })).toThrow(NumericalError);
  });

  it('a call past the 4 GiB of a wasm32 memory is a ResourceLimitError before anything is allocated', () => {
    // 2^30 + 8 float32 rows of 1 column: the weight alone needs just over 4 GiB; the tensor is a view of a small
    // buffer's length check only (never read), so the test allocates nothing large
    const rows = 2 ** 30 + 8;
    const fake = {
      dtype: 'f32',
      shape: [rows, 1],
      data: { length: rows, byteLength: rows * 4, buffer: new ArrayBuffer(0), byteOffset: 0 },
    } as unknown as HostTensor<'f32'>;
    const A = tensor('f32', [1, 1], new Float32Array([1]));
    const B = {
      dtype: 'f32',
      shape: [rows, 1],
      data: { length: rows, byteLength: rows * 4 },
    } as unknown as HostTensor<'f32'>;
    expect(() => k.merge({ weight: fake, A, B })).toThrow(ResourceLimitError);
    expect(() => k.merge({ weight: fake, A, B })).toThrow(/4 GiB/);
  });

  it('wrong shapes get the reference ShapeError', () => {
    const { A, B } = factors(createRng(2), 4, 8, 4, false);
    const w = tensor('f32', [8, 4], new Float32Array(32));
    expect(() => k.merge({ weight: w, A, B })).toThrow(ShapeError);
    expect(() => k.merge({ weight: w, A, B })).toThrow(/weight must have shape \(4, 8\)/);
  });
});

describe('cpu backend: top-k admixture and compose, bit-identical to the reference', () => {
  const rng = createRng(7);
  const logits = (n: number, nv: number, special: boolean) =>
    Float32Array.from({ length: n * nv }, () => {
      if (!special) return rng.normal() * 3;
      const u = rng.uniform();
      if (u < 0.01) return Number.NaN;
      if (u < 0.03) return Number.NEGATIVE_INFINITY;
      if (u < 0.2) return 1.5; // ties
      if (u < 0.22) return -0;
      return rng.normal() * 3;
    });

  for (const [nv, vl, topk] of [
    [64, 16, 2],
    [300, 32, 3],
    [10, 7, 1],
    [9, 5, 9],
    [256, 12, 5],
  ] as const) {
    for (const special of [false, true]) {
      it(`nv ${nv}, vl ${vl}, k ${topk}${special ? ', ties, NaN, −inf, ±0' : ''}`, () => {
        const bank = tensor(
          'f32',
          [nv, vl],
          Float32Array.from({ length: nv * vl }, () => rng.normal()),
        );
        const lg = tensor('f32', [3, 5, nv], logits(15, nv, special));
        const got = k.topkAdmixture({ logits: lg, bank, k: topk });
        const want = topkAdmixture({ logits: lg, bank, k: topk });
        sameBits(got.indices, want.indices);
        sameBits(got.weights, want.weights);
        sameBits(got.vectors, want.vectors);
        const idx16 = tensor('i16', want.indices.shape, Int16Array.from(want.indices.data));
        sameBits(
          k.admixFromTopk({ indices: idx16, weights: want.weights, bank }),
          admixFromTopk({ indices: idx16, weights: want.weights, bank }),
        );
        for (const r of [1, 3, 4]) {
          const la = tensor('f32', [r, 3, nv], logits(r * 3, nv, special));
          const lb = tensor('f32', [2, r, nv], logits(2 * r, nv, special));
          const args = { logitsA: la, logitsB: lb, bank, k: topk };
          const c = k.composeLowRank(args);
          const ref = composeLowRank(args);
          sameBits(c.A, ref.A);
          sameBits(c.B, ref.B);
        }
      });
    }
  }

  it('a bank changed in place between direct kernel calls is read afresh', () => {
    const bank = tensor(
      'f32',
      [8, 4],
      Float32Array.from({ length: 32 }, (_, i) => i),
    );
    const idx = tensor('i32', [1, 1, 1], new Int32Array([3]));
    const w = tensor('f32', [1, 1, 1], new Float32Array([1]));
    const args = { logitsA: { indices: idx, weights: w }, logitsB: { indices: idx, weights: w }, bank, k: 1 };
    expect(Array.from(k.composeLowRank(args).A.data)).toEqual([12, 13, 14, 15]);
    bank.data[12] = 100;
    expect(Array.from(k.composeLowRank(args).A.data)).toEqual([100, 13, 14, 15]);
  });

  it('composeAdapter reads a bank changed in place between calls afresh', async () => {
    const files = (f: string) => readGoldenBytes('llama_f32_vl16_nv64_top2', 'adapter_topk', f);
    const { adapter } = adapterFromFiles({
      config: new TextDecoder().decode(files('adapter_config.json')),
      weights: files('adapter_model.safetensors'),
    });
    const before = await composeAdapter(adapter, { backend: cpu });
    (adapter.bank.data as Float32Array).fill(0.25);
    const after = await composeAdapter(adapter, { backend: cpu });
    const ref = await composeAdapter(adapter);
    for (const [p, pair] of ref) {
      sameBits(after.get(p)!.A, pair.A);
      sameBits(after.get(p)!.B, pair.B);
    }
    expect(before.values().next().value!.A.data[0]).not.toBe(after.values().next().value!.A.data[0]);
  });

  it('a compose interleaved with other kernels on the same backend never reuses an overwritten bank', async () => {
    const files = (f: string) => readGoldenBytes('llama_f32_vl16_nv64_top2', 'adapter_topk', f);
    const { adapter } = adapterFromFiles({
      config: new TextDecoder().decode(files('adapter_config.json')),
      weights: files('adapter_model.safetensors'),
    });
    const shared = createCpuBackend();
    const rng = createRng(3);
    const weight = tensor(
      'f32',
      [64, 64],
      Float32Array.from({ length: 4096 }, () => rng.normal()),
    );
    const A = tensor(
      'f32',
      [4, 64],
      Float32Array.from({ length: 256 }, () => rng.normal()),
    );
    const B = tensor(
      'f32',
      [64, 4],
      Float32Array.from({ length: 256 }, () => rng.normal()),
    );
    // composeAdapter awaits between modules: the merges run in between and lay their weight out at offset 0
    const busy = (async () => {
      for (let i = 0; i < 40; i++) {
        await null;
        shared.kernels.merge!({ weight, A, B });
      }
    })();
    const [got] = await Promise.all([composeAdapter(adapter, { backend: shared }), busy]);
    const want = await composeAdapter(adapter);
    for (const [p, pair] of want) {
      sameBits(got.get(p)!.A, pair.A);
      sameBits(got.get(p)!.B, pair.B);
    }
  });

  it('bad input gets typed errors, never a crash', () => {
    const bank = tensor('f32', [8, 4], new Float32Array(32));
    const w = tensor('f32', [1, 1, 2], new Float32Array(2));
    expect(() =>
      k.admixFromTopk({ indices: tensor('i32', [1, 1, 2], new Int32Array([0, 8])), weights: w, bank }),
    ).toThrow(ShapeError);
    expect(() => k.topkAdmixture({ logits: tensor('f32', [2, 7], new Float32Array(14)), bank, k: 2 })).toThrow(
      ShapeError,
    );
    expect(() => k.topkAdmixture({ logits: tensor('f32', [2, 8], new Float32Array(16)), bank, k: 9 })).toThrow(
      ShapeError,
    );
    const la = tensor('f32', [4, 1, 8], new Float32Array(32));
    const lb = tensor('f32', [1, 3, 8], new Float32Array(24));
    expect(() => k.composeLowRank({ logitsA: la, logitsB: lb, bank, k: 2 })).toThrow(/must have r = 4/);
  });
});

describe('cpu backend: unmerged forward, bit-identical to the reference', () => {
  const rng = createRng(31);
  const t = (shape: number[], special = false) =>
    tensor(
      'f32',
      shape,
      Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () =>
        special && rng.uniform() < 0.02 ? -0 : rng.normal(),
      ),
    );

  for (const [rows, inF, outF, r] of [
    [5, 37, 13, 4],
    [8, 64, 64, 3],
    [3, 9, 6, 6],
    [1, 4, 3, 1],
    [7, 33, 130, 9],
  ] as const) {
    it(`adapterForward ${rows}×${inF} → ${outF}, r ${r} (f32, bf16 x, dropout)`, () => {
      const x = t([rows, inF], true);
      const baseOut = t([rows, outF]);
      const A = t([r, inF], true);
      const B = t([outF, r]);
      sameBits(k.adapterForward({ x, baseOut, A, B }), adapterForward({ x, baseOut, A, B }));
      const xb = tensor(
        'bf16',
        x.shape,
        Uint16Array.from(x.data, (v) => f32ToBf16Bits(v)),
      );
      sameBits(k.adapterForward({ x: xb, baseOut, A, B }), adapterForward({ x: xb, baseOut, A, B }));
      const dropout = { p: 0.3, seed: 5 };
      sameBits(k.adapterForward({ x, baseOut, A, B, dropout }), adapterForward({ x, baseOut, A, B, dropout }));
      const x3 = tensor('f32', [1, rows, inF], x.data);
      const b3 = tensor('f32', [1, rows, outF], baseOut.data);
      sameBits(k.adapterForward({ x: x3, baseOut: b3, A, B }), adapterForward({ x: x3, baseOut: b3, A, B }));
    });
  }

  for (const [rows, inF, outF] of [
    [3, 17, 37],
    [1, 64, 96],
    [5, 8, 3],
    [2, 33, 68],
  ] as const) {
    it(`linear ${rows}×${inF} → ${outF}: bias or not, fan_in_fan_out, bf16 weight, x of rank 3`, () => {
      const x = t([rows, inF], true);
      const w = t([outF, inF], true);
      const wT = tensor(
        'f32',
        [inF, outF],
        Float32Array.from({ length: inF * outF }, (_, j) => w.data[(j % outF) * inF + Math.floor(j / outF)]!),
      );
      const bias = t([outF]);
      sameBits(k.linear({ x, weight: w }), linear({ x, weight: w }));
      sameBits(k.linear({ x, weight: w, bias }), linear({ x, weight: w, bias }));
      sameBits(
        k.linear({ x, weight: wT, bias, fanInFanOut: true }),
        linear({ x, weight: wT, bias, fanInFanOut: true }),
      );
      const wb = tensor(
        'bf16',
        w.shape,
        Uint16Array.from(w.data, (v) => f32ToBf16Bits(v)),
      );
      sameBits(k.linear({ x, weight: wb, bias }), linear({ x, weight: wb, bias }));
      const x3 = tensor('f32', [1, rows, inF], x.data);
      sameBits(k.linear({ x: x3, weight: w }), linear({ x: x3, weight: w }));
    });
  }

  it('mixedBatchForward: ranks 1–9 mixed in one batch, rows without an adapter, odd row counts', () => {
    const [n, inF, outF] = [11, 29, 18];
    const adapters = [4, 1, 9, 4, 2].map((r) => ({ A: t([r, inF]), B: t([outF, r]) }));
    const x = t([n, inF], true);
    const baseOut = t([n, outF]);
    const rowAdapter = Int32Array.from([0, 0, 3, -1, 1, 2, 2, 4, -1, 0, 3]);
    sameBits(
      k.mixedBatchForward({ x, baseOut, adapters, rowAdapter }),
      mixedBatchForward({ x, baseOut, adapters, rowAdapter }),
    );
  });

  it('mixedBatchForward: the reference errors for a bad row assignment or adapter shape', () => {
    const x = t([2, 8]);
    const baseOut = t([2, 4]);
    const adapters = [{ A: t([4, 8]), B: t([4, 4]) }];
    expect(() => k.mixedBatchForward({ x, baseOut, adapters, rowAdapter: Int32Array.from([0, 1]) })).toThrow(
      /rowAdapter\[1\] = 1 is not an adapter number/,
    );
    expect(() =>
      k.mixedBatchForward({
        x,
        baseOut,
        adapters: [{ A: t([4, 7]), B: t([4, 4]) }],
        rowAdapter: Int32Array.from([0, 0]),
      }),
    ).toThrow(/\(adapter 0\)/);
  });
});
