import { afterAll, describe, expect, it } from 'vitest';
import { composeAdapter, mergeIntoStateDict, resolveBackend, ShapeError, tensor, type Tolerance } from '@vblora/core';
import { createOnnxBackend } from '@vblora/onnx';
import { readGolden } from './fixtures/toy-models.js';
import { expectClose, goldenAdapter } from './helpers/golden.js';

const backend = createOnnxBackend({ sessionOptions: { intraOpNumThreads: 1 } });
afterAll(() => backend.release());

// composeLowRank's declared float32 accuracy (core's F32_TOL)
const F32: Tolerance = { atol: 1e-6, rtol: 1e-5 };

describe('onnxruntime-node backend', () => {
  it('is available and resolves', async () => {
    expect(await resolveBackend([backend])).toBe(backend);
    expect(backend.precision).toBe('f32');
  });

  it("composes PEFT's A and B for every module of a golden adapter", async () => {
    const c = 'gpt2_conv1d_fan_in_fan_out_f32';
    const e = readGolden(c, 'expected.safetensors');
    const pairs = await composeAdapter(await goldenAdapter(c), { backend });
    expect(pairs.size).toBe(8);
    for (const [path, { A, B }] of pairs) {
      expectClose(A, e.get(`layer.${path}.A`)!, F32, `${path} A`);
      expectClose(B, e.get(`layer.${path}.B`)!, F32, `${path} B`);
    }
  });

  it('merges a bf16 state dict with PEFT’s rounding (one bf16 ulp at most)', async () => {
    const c = 'llama_bf16_vl16_nv256_top2_layer1_bias';
    const adapter = await goldenAdapter(c);
    const merged = await mergeIntoStateDict(adapter, readGolden(c, 'base.safetensors'), { backend });
    const e = readGolden(c, 'expected.safetensors');
    for (const path of adapter.modules.keys()) {
      const w = merged.get(`${path}.weight`)!;
      expect(w.dtype).toBe('bf16');
      expectClose(w, e.get(`layer.${path}.merged_weight`)!, { atol: 0, rtol: 2 ** -8 }, path);
    }
  });

  it('builds one session per graph variant and reuses it for every shape', async () => {
    const fresh = createOnnxBackend({ sessionOptions: { intraOpNumThreads: 1 } });
    try {
      const delta = fresh.kernels.deltaWeight!;
      for (const [r, inF, outF] of [
        [2, 4, 6],
        [3, 8, 5],
        [1, 16, 16],
      ] as const) {
        const A = tensor(
          'f32',
          [r, inF],
          Float32Array.from({ length: r * inF }, (_, i) => i / 7),
        );
        const B = tensor(
          'f32',
          [outF, r],
          Float32Array.from({ length: outF * r }, (_, i) => 1 - i / 5),
        );
        const d = await delta({ A, B });
        expect(d.shape).toEqual([outF, inF]);
        // element (o, i) = Σ_j B[o, j]·A[j, i], checked directly on one element
        let want = 0;
        for (let j = 0; j < r; j++) want += B.data[(outF - 1) * r + j]! * A.data[j * inF + (inF - 1)]!;
        expect(d.data[outF * inF - 1]!).toBeCloseTo(want, 5); // |Δ| < 5e-6: float32 vs float64 sum of ≤ 3 products
      }
      expect(fresh.sessionCount()).toBe(1);
      await delta({
        A: tensor('f32', [1, 2], Float32Array.of(1, 2)),
        B: tensor('f32', [2, 1], Float32Array.of(3, 4)),
        fanInFanOut: true,
      });
      expect(fresh.sessionCount()).toBe(2); // the transposed variant is another graph
    } finally {
      await fresh.release();
    }
  });

  it('rejects arguments that do not fit, with ShapeError', async () => {
    const A = tensor('f32', [2, 4], new Float32Array(8));
    await expect(
      Promise.resolve().then(() => backend.kernels.deltaWeight!({ A, B: tensor('f32', [3, 3], new Float32Array(9)) })),
    ).rejects.toThrow(ShapeError);
    const bank = tensor('f32', [4, 2], new Float32Array(8));
    const indices = tensor('i32', [1, 2], Int32Array.of(0, 9));
    await expect(
      Promise.resolve().then(() =>
        backend.kernels.admixFromTopk!({ indices, weights: tensor('f32', [1, 2], Float32Array.of(0.5, 0.5)), bank }),
      ),
    ).rejects.toThrow(/admixFromTopk: indices\[1\] = 9 is out of range, indices must lie in \[0, 4\)/);
  });
});
