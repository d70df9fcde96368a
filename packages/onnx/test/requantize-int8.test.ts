/**
 * 8-bit weights (`MatMulInteger`, as onnxruntime's `quantize_dynamic` writes them): quantization equals an
 * independent JS implementation and numpy running onnxruntime's formulas (float32 division, halves to even);
 * dequantization agrees with onnxruntime's MatMulInteger on one-hot inputs; the rule is recognised.
 * Accuracy: exact (codes, scales, zero points).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { createRng, tensor } from '@vblora/core';
import { encodeOnnxModel, GraphBuilder } from '@vblora/onnx';
import { dequantizeInt8, detectInt8Rule, quantizeInt8 } from '../src/merge/requantize-int8.js';
import { QUIET } from './helpers/ort.js';
import { refQuantizeInt8 } from './helpers/ref-quantizers.js';

function randomWeight(seed: number, n: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal() * 0.05 + 0.01);
}

const CASES = [
  {
    id: 'int8-s11-k24-n16-sym-tensor',
    seed: 11,
    K: 24,
    N: 16,
    dtype: 'i8' as const,
    symmetric: true,
    reduceRange: false,
    perColumn: false,
  },
  {
    id: 'int8-s12-k24-n16-sym-column',
    seed: 12,
    K: 24,
    N: 16,
    dtype: 'i8' as const,
    symmetric: true,
    reduceRange: false,
    perColumn: true,
  },
  {
    id: 'int8-s13-k16-n8-sym-reduced',
    seed: 13,
    K: 16,
    N: 8,
    dtype: 'i8' as const,
    symmetric: true,
    reduceRange: true,
    perColumn: false,
  },
  {
    id: 'int8-s14-k16-n8-asym-column',
    seed: 14,
    K: 16,
    N: 8,
    dtype: 'i8' as const,
    symmetric: false,
    reduceRange: false,
    perColumn: true,
  },
  {
    id: 'uint8-s15-k24-n16-asym-tensor',
    seed: 15,
    K: 24,
    N: 16,
    dtype: 'u8' as const,
    symmetric: false,
    reduceRange: false,
    perColumn: false,
  },
  {
    id: 'uint8-s16-k16-n8-asym-reduced-column',
    seed: 16,
    K: 16,
    N: 8,
    dtype: 'u8' as const,
    symmetric: false,
    reduceRange: true,
    perColumn: true,
  },
];

const PYTHON = '/usr/bin/python3';
const NUMPY =
  existsSync(PYTHON) &&
  (() => {
    try {
      execFileSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

// onnxruntime.quantization.quant_utils' compute_scale_zp + quantize_nparray, re-stated with numpy
const NUMPY_QUANTIZE = `
import json, sys, numpy as np
a = json.loads(sys.stdin.read())
w = np.array(a["w"], dtype=np.float32).reshape(a["K"], a["N"])
qmin, qmax = a["qmin"], a["qmax"]
lo, hi = (0, 255) if a["dtype"] == "u8" else (-127, 127)
groups = [w[:, j] for j in range(a["N"])] if a["perColumn"] else [w.ravel()]
out = {"scales": [], "zps": [], "q": []}
for g in groups:
    rmin = np.minimum(g.min(), np.float32(0)); rmax = np.maximum(g.max(), np.float32(0))
    if a["symmetric"]:
        m = np.maximum(np.abs(rmin), np.abs(rmax)); rmin, rmax = -m, m
    scale = np.float64(rmax - rmin) / (np.float64(qmax) - np.float64(qmin))
    if scale < np.finfo(np.float32).tiny:
        scale, zp = np.float32(1.0), 0
    else:
        zp = int(np.round((qmin + qmax) / 2.0)) if a["symmetric"] else int(np.round(qmin - np.float64(rmin) / scale))
        scale = np.float32(scale)
    q = np.clip((g.astype(np.float32) / scale).round() + np.float32(zp), lo, hi)
    out["scales"].append(float(scale)); out["zps"].append(zp); out["q"].append([int(v) for v in q])
print(json.dumps(out))
`;

describe('8-bit weights', () => {
  for (const c of CASES) {
    it(`${c.id}: quantizeInt8 equals the independent quantizer, and the rule is recognised`, () => {
      const w = randomWeight(c.seed, c.K * c.N);
      const rule = { symmetric: c.symmetric, reduceRange: c.reduceRange };
      const q = quantizeInt8(w, c.K, c.N, c.dtype, c.perColumn, rule, true);
      const ref = refQuantizeInt8(w, c.K, c.N, c);
      expect(Array.from(q.values)).toEqual(Array.from(ref.values));
      expect(Array.from(q.scales)).toEqual(Array.from(ref.scales));
      expect(Array.from(q.zeroPoints!)).toEqual(Array.from(ref.zeroPoints));
      expect(detectInt8Rule(q)).toEqual(rule);
    });

    it.runIf(NUMPY)(`${c.id}: quantizeInt8 equals numpy running onnxruntime's formulas`, () => {
      const w = randomWeight(c.seed, c.K * c.N);
      const q = quantizeInt8(
        w,
        c.K,
        c.N,
        c.dtype,
        c.perColumn,
        { symmetric: c.symmetric, reduceRange: c.reduceRange },
        true,
      );
      const qmin = c.dtype === 'u8' ? 0 : c.reduceRange ? -64 : c.symmetric ? -127 : -128;
      const qmax = c.dtype === 'u8' ? (c.reduceRange ? 127 : 255) : c.reduceRange ? 64 : 127;
      const input = JSON.stringify({ ...c, w: Array.from(w), qmin, qmax });
      const py = JSON.parse(execFileSync(PYTHON, ['-c', NUMPY_QUANTIZE], { input }).toString()) as {
        scales: number[];
        zps: number[];
        q: number[][];
      };
      expect(Array.from(q.scales)).toEqual(py.scales);
      expect(Array.from(q.zeroPoints!)).toEqual(py.zps);
      const codes = c.perColumn
        ? Array.from({ length: c.K * c.N }, (_, i) => py.q[i % c.N]![Math.floor(i / c.N)]!)
        : py.q[0]!;
      expect(Array.from(q.values)).toEqual(codes);
    });

    it(`${c.id}: dequantizeInt8 is the weight onnxruntime's MatMulInteger applies`, async () => {
      const w = randomWeight(c.seed, c.K * c.N);
      const q = quantizeInt8(
        w,
        c.K,
        c.N,
        c.dtype,
        c.perColumn,
        { symmetric: c.symmetric, reduceRange: c.reduceRange },
        true,
      );
      // one-hot uint8 rows with zero point 0: MatMulInteger returns q − zp, exactly
      const g = new GraphBuilder();
      g.input('x', 'u8', [c.K, c.K]);
      const wq = g.init('W', tensor(c.dtype, [c.K, c.N], q.values as never));
      const xz = g.init('xz', tensor('u8', [], new Uint8Array([0])));
      const wz = g.init('wz', tensor(c.dtype, [q.zeroPoints!.length], q.zeroPoints as never));
      g.op('MatMulInteger', ['x', wq, xz, wz], {}, { outputs: ['y'] });
      g.output('y', 'i32', [c.K, c.N]);
      const session = await ort.InferenceSession.create(encodeOnnxModel(g.model()), QUIET);
      try {
        const eye = new Uint8Array(c.K * c.K);
        for (let i = 0; i < c.K; i++) eye[i * c.K + i] = 1;
        const y = (await session.run({ x: new ort.Tensor('uint8', eye, [c.K, c.K]) }))['y']!.data as Int32Array;
        const scaled = Float32Array.from(y, (v, i) => Math.fround(v * q.scales[c.perColumn ? i % c.N : 0]!));
        expect(Array.from(scaled)).toEqual(Array.from(dequantizeInt8(q)));
      } finally {
        await session.release();
      }
    });
  }

  it('int8-s17: symmetric int8 without a zero point input requantizes; uint8 needing one is refused', () => {
    const w = randomWeight(17, 8 * 4);
    expect(quantizeInt8(w, 8, 4, 'i8', false, { symmetric: true, reduceRange: false }, false).zeroPoints).toBeNull();
    expect(() => quantizeInt8(w, 8, 4, 'u8', false, { symmetric: false, reduceRange: false }, false)).toThrow(
      /zero point/,
    );
  });
});
