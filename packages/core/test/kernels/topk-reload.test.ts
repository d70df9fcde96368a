import { describe, expect, it } from 'vitest';
import { DTypeError, IndexRangeError, NumericalError, ShapeError } from '../../src/errors.js';
import {
  F32_TOL,
  KERNEL_CONTRACTS,
  checkTopkReloadArgs,
  logitsFromTopk,
  safeTopkWeights,
  topkAdmixture,
  topkReload,
} from '../../src/index.js';
import { reloadRows } from '../../src/kernels/topk-reload.js';
import { f32, tensor } from '../../src/tensor/index.js';

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
const i32 = (shape: number[], v: number[]) => tensor('i32', shape, Int32Array.from(v));

describe('topkReload: the kernel (tolerance: bit-identical)', () => {
  it('is registered with its contract: inputs, attribute k, indices exact, weights within F32_TOL', () => {
    const c = KERNEL_CONTRACTS.topkReload;
    expect(c.inputs.map((t) => t.name)).toEqual(['indices', 'weightsKm1']);
    expect(c.outputs.map((t) => t.name)).toEqual(['indices', 'weights']);
    expect(c.accuracy.f32).toEqual({ indices: 'exact', weights: F32_TOL });
  });

  it('gives what the dense path gives: topkAdmixture on logitsFromTopk (safe) of the same stored factor', () => {
    // the dense path materialises (rows, nv) logits and runs top-k and softmax on them: PEFT's reload itself (rows
    // without ties: on equal weights the reload keeps the file order, the dense top-k the lower bank index)
    for (const k of [2, 3, 4]) {
      const nv = 9;
      const rows = 5;
      const idx: number[] = [];
      const stored: number[] = [];
      for (let row = 0; row < rows; row++) {
        for (let j = 0; j < k; j++) idx.push((row + j * 2) % nv); // distinct within a row
        let left = 1;
        for (let j = 0; j < k - 1; j++) {
          const v = Math.fround(left * (0.35 + 0.02 * row + 0.1 * j)); // distinct weights: no ties
          stored.push(v);
          left -= v;
        }
      }
      const args = { indices: i32([rows, k], idx), weightsKm1: f32([rows, k - 1], stored), k };
      const got = topkReload(args);
      const logits = logitsFromTopk({ indices: args.indices, weightsKm1: args.weightsKm1, nv, safe: true });
      const bank = f32(
        [nv, 1],
        Array.from({ length: nv }, () => 0),
      );
      const dense = topkAdmixture({ logits, bank, k });
      expect(Array.from(got.indices.data), `k = ${k}`).toEqual(Array.from(dense.indices.data));
      expect(bits(got.weights.data), `k = ${k}`).toEqual(bits(dense.weights.data));
    }
  });

  it('clamps a restored weight below 0 (stored weights summing above 1) to weight 0, as safeTopkWeights', () => {
    const args = { indices: i32([1, 3], [4, 5, 6]), weightsKm1: f32([1, 2], [0.75, 0.375]), k: 3 };
    const got = topkReload(args);
    const general = reloadRows(args.indices, safeTopkWeights({ weightsKm1: args.weightsKm1 }).weights, 3);
    expect(bits(got.weights.data)).toEqual(bits(general.weights.data));
    expect(got.weights.data[2]).toBe(0);
    expect(got.indices.data[2]).toBe(6);
  });

  it('k = 1 (no stored weights) reloads weight 1 at the stored index, as reloadTopkWeights always has', () => {
    const got = topkReload({ indices: i32([3, 1], [7, 0, 2]), weightsKm1: f32([3, 0], []), k: 1 });
    expect(got.weights.shape).toEqual([3, 1]);
    expect(Array.from(got.weights.data)).toEqual([1, 1, 1]);
    expect(Array.from(got.indices.data)).toEqual([7, 0, 2]);
  });

  it('refuses bad arguments with typed errors naming the argument', () => {
    const ok = { indices: i32([2, 2], [0, 1, 2, 3]), weightsKm1: f32([2, 1], [0.5, 0.25]), k: 2 };
    expect(() => checkTopkReloadArgs({ ...ok, weightsKm1: i32([2, 1], [0, 0]) })).toThrow(DTypeError);
    expect(() => checkTopkReloadArgs({ ...ok, weightsKm1: i32([2, 1], [0, 0]) })).toThrow(
      'topkReload: weightsKm1 must be f32, got i32',
    );
    expect(() => checkTopkReloadArgs({ ...ok, indices: f32([2, 2], [0, 1, 2, 3]) })).toThrow(DTypeError);
    for (const k of [0, -1, 2.5]) {
      expect(() => checkTopkReloadArgs({ ...ok, k })).toThrow(`topkReload: k must be an integer ≥ 1, got ${k}`);
    }
    expect(() => checkTopkReloadArgs({ ...ok, k: 3 })).toThrow('topkReload: indices must have shape (..., 3)');
    expect(() => checkTopkReloadArgs({ ...ok, weightsKm1: f32([1, 1], [0.5]) })).toThrow(ShapeError);
    expect(() => checkTopkReloadArgs({ ...ok, weightsKm1: f32([1, 1], [0.5]) })).toThrow(
      'topkReload: weightsKm1 must have shape (2, 1) to match indices (2, 2), got (1, 1)',
    );
    expect(() => checkTopkReloadArgs({ ...ok, indices: i32([2, 2], [0, -1, 2, 3]) })).toThrow(IndexRangeError);
    expect(() => checkTopkReloadArgs({ ...ok, nv: 3 })).toThrow(
      'topkReload: indices[3] = 3 is out of range, indices must lie in [0, 3)',
    );
    expect(() => checkTopkReloadArgs({ ...ok, nv: 4 })).not.toThrow();
    expect(() => checkTopkReloadArgs({ ...ok, weightsKm1: f32([2, 1], [0.5, 1.25]) })).toThrow(NumericalError);
    expect(() => checkTopkReloadArgs({ ...ok, weightsKm1: f32([2, 1], [0.5, 1.25]) })).toThrow(
      'safeTopkWeights: stored top-k weight [1] = 1.25 is outside [0, 1]',
    );
  });
});
