import { afterAll, describe, expect, it } from 'vitest';
import {
  createRng,
  f32ToBf16Bits,
  f32ToF16Bits,
  merge,
  NumericalError,
  tensor,
  unmerge,
  VBLoRAError,
  type HostTensor,
  type WeightDType,
} from '@vblora/core';
import { createMergePool } from '../src/node.js';

// From TypeScript sources the pool merges in this thread, with the same kernels and shared memory the worker
// threads use (the threaded path runs in the CLI and bench tests, from the built package).
const pool = createMergePool();
afterAll(() => pool.close());

function bitsOf(t: HostTensor): Uint32Array | Uint16Array {
  return t.data instanceof Float32Array
    ? new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)
    : (t.data as Uint16Array);
}

describe('createMergePool', () => {
  const rng = createRng(5);
  for (const dtype of ['f32', 'bf16', 'f16'] as const) {
    for (const sign of [1, -1] as const) {
      for (const fanInFanOut of [false, true]) {
        it(`${sign === 1 ? 'merges' : 'unmerges'} ${dtype}${fanInFanOut ? ' fan_in_fan_out' : ''} in place, bit-identical to the reference`, async () => {
          const [outF, inF, r] = [19, 44, 4];
          const shape: [number, number] = fanInFanOut ? [inF, outF] : [outF, inF];
          const f = Float32Array.from({ length: outF * inF }, (_, i) => (i % 17 === 0 ? -0 : rng.normal() * 0.02));
          const data =
            dtype === 'f32' ? f : Uint16Array.from(f, (v) => (dtype === 'bf16' ? f32ToBf16Bits(v) : f32ToF16Bits(v)));
          const w = tensor(dtype as WeightDType, shape, data as never) as HostTensor<WeightDType>;
          const A = tensor(
            'f32',
            [r, inF],
            Float32Array.from({ length: r * inF }, () => rng.normal() * 0.1),
          );
          const B = tensor(
            'f32',
            [outF, r],
            Float32Array.from({ length: outF * r }, (_, i) => (i % 5 === 0 ? 0 : rng.normal() * 0.1)),
          );
          const [region] = pool.regions(w.data.byteLength) as [Uint8Array];
          region.set(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength));
          await pool.run({
            dtype,
            shape,
            input: region,
            output: region,
            A: A.data,
            B: B.data,
            fanInFanOut,
            sign,
            safe: false,
            adapter: 'a',
            module: 'm',
          });
          const want = (sign === 1 ? merge : unmerge)({ weight: w, A, B, fanInFanOut });
          const got =
            dtype === 'f32'
              ? new Uint32Array(region.buffer, region.byteOffset, f.length)
              : new Uint16Array(region.buffer, region.byteOffset, f.length);
          expect(Array.from(got)).toEqual(Array.from(bitsOf(want)));
        });
      }
    }
  }

  it('safe mode names the first non-finite element like the reference', async () => {
    const w = new Float32Array(32).fill(1);
    w[21] = Number.POSITIVE_INFINITY;
    const [region] = pool.regions(w.byteLength) as [Uint8Array];
    region.set(new Uint8Array(w.buffer));
    const A = new Float32Array(8).fill(0.5);
    const B = new Float32Array(8).fill(0.5);
    const job = {
      dtype: 'f32' as const,
      shape: [4, 8] as [number, number],
      input: region,
      output: region,
      A,
      B,
      fanInFanOut: false,
      safe: true,
      adapter: 'x',
      module: 'layers.0.q',
    };
    await expect(pool.run(job)).rejects.toThrow(NumericalError);
    await expect(pool.run(job)).rejects.toThrow(
      'The adapter x seems to be broken (module layers.0.q, first non-finite element at flat index 21)',
    );
  });

  it('refuses views that are not its own regions', async () => {
    const view = new Uint8Array(16);
    const job = {
      dtype: 'f32' as const,
      shape: [1, 4] as [number, number],
      input: view,
      output: view,
      A: new Float32Array(4),
      B: new Float32Array(1),
      fanInFanOut: false,
      safe: false,
      adapter: 'a',
      module: 'm',
    };
    await expect(pool.run(job)).rejects.toThrow(VBLoRAError);
  });
});

describe('createMergePool, concurrent callers', () => {
  it('runs overlapping calls one after another, each with its own factors', async () => {
    const pool2 = createMergePool();
    try {
      const [r0, r1] = pool2.regions(4 * 16, 2) as [Uint8Array, Uint8Array];
      new Float32Array(r0.buffer, r0.byteOffset, 16).fill(1);
      new Float32Array(r1.buffer, r1.byteOffset, 16).fill(1);
      const A = tensor('f32', [1, 4], new Float32Array([1, 1, 1, 1]));
      const job = (out: Uint8Array, b: number) => ({
        dtype: 'f32' as const,
        shape: [4, 4] as [number, number],
        input: out,
        output: out,
        A: A.data,
        B: new Float32Array(4).fill(b),
        fanInFanOut: false,
        safe: false,
        adapter: 'a',
        module: 'm',
      });
      await Promise.all([pool2.run(job(r0, 2)), pool2.run(job(r1, 3))]);
      expect(Array.from(new Float32Array(r0.buffer, r0.byteOffset, 16))).toEqual(new Array(16).fill(3));
      expect(Array.from(new Float32Array(r1.buffer, r1.byteOffset, 16))).toEqual(new Array(16).fill(4));
    } finally {
      await pool2.close();
    }
  });
});
