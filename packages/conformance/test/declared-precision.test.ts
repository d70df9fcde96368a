/**
 * The backend's declared precision picks the tolerances of docs/numerics.md: a backend that really computes in
 * bfloat16 (inputs rounded to bf16, bf16 × bf16 products, float32 accumulation, every result rounded to bf16 — as
 * tensor cores do) passes when it declares `bf16`, and fails the same cases when it claims `f32`.
 */
import { describe, expect, it } from 'vitest';
import {
  BF16_TOL,
  checkKernelArgs,
  dropoutMask,
  fromF32,
  roundToBf16,
  tensor,
  toF32,
  type Backend,
  type HostTensor,
  type KernelSet,
  type Precision,
  type WeightDType,
} from '@vblora/core';
import { allCases, checkConformance } from '@vblora/conformance';
import { backendOf } from './helpers/single-bug-backends.js';

type Args<K extends keyof KernelSet> = Parameters<KernelSet[K]>[0];

/** A float tensor's values rounded to bf16 (as float32 numbers). */
function bf16Values(t: HostTensor): Float32Array {
  return toF32(t).data.map(roundToBf16);
}

/** Σ_j a[j]·b[j] over bf16 operands: exact bf16 × bf16 products, float32 accumulation, the sum rounded to bf16. */
function dot(n: number, a: (j: number) => number, b: (j: number) => number): number {
  let acc = 0;
  for (let j = 0; j < n; j++) acc = Math.fround(acc + a(j) * b(j));
  return roundToBf16(acc);
}

function deltaWeight(args: Args<'deltaWeight'>): HostTensor<'f32'> {
  const { r, inF, outF } = checkKernelArgs('deltaWeight', args);
  const A = bf16Values(args.A);
  const B = bf16Values(args.B);
  const fan = args.fanInFanOut === true;
  const out = new Float32Array(outF * inF);
  for (let o = 0; o < outF; o++) {
    for (let i = 0; i < inF; i++)
      out[fan ? i * outF + o : o * inF + i] = dot(
        r,
        (j) => B[o * r + j]!,
        (j) => A[j * inF + i]!,
      );
  }
  return tensor('f32', fan ? [inF, outF] : [outF, inF], out);
}

function linear(args: Args<'linear'>): HostTensor<WeightDType> {
  const { rows, inF, outF } = checkKernelArgs('linear', args);
  const x = bf16Values(args.x);
  const w = bf16Values(args.weight);
  const b = args.bias === undefined ? undefined : bf16Values(args.bias);
  const fan = args.fanInFanOut === true;
  const y = new Float32Array(rows * outF);
  for (let n = 0; n < rows; n++) {
    for (let o = 0; o < outF; o++) {
      const s = dot(
        inF,
        (i) => x[n * inF + i]!,
        (i) => (fan ? w[i * outF + o]! : w[o * inF + i]!),
      );
      y[n * outF + o] = b === undefined ? s : roundToBf16(s + b[o]!);
    }
  }
  return fromF32(tensor('f32', [...args.x.shape.slice(0, -1), outF], y), args.x.dtype);
}

function adapterForward(args: Args<'adapterForward'>): HostTensor<WeightDType> {
  const { rows, r, inF, outF } = checkKernelArgs('adapterForward', args);
  let x = bf16Values(args.x);
  if (args.dropout !== undefined) {
    const mask = dropoutMask(x.length, args.dropout.p, args.dropout.seed);
    const scale = roundToBf16(1 / (1 - args.dropout.p));
    x = x.map((v, j) => (mask[j] === 1 ? roundToBf16(v * scale) : 0));
  }
  const A = bf16Values(args.A);
  const B = bf16Values(args.B);
  const base = bf16Values(args.baseOut);
  const y = new Float32Array(rows * outF);
  for (let n = 0; n < rows; n++) {
    const h = Array.from({ length: r }, (_, i) =>
      dot(
        inF,
        (c) => x[n * inF + c]!,
        (c) => A[i * inF + c]!,
      ),
    );
    for (let o = 0; o < outF; o++)
      y[n * outF + o] = roundToBf16(
        base[n * outF + o]! +
          dot(
            r,
            (i) => h[i]!,
            (i) => B[o * r + i]!,
          ),
      );
  }
  return fromF32(tensor('f32', args.baseOut.shape, y), args.x.dtype);
}

function admixFromTopk(args: Args<'admixFromTopk'>): HostTensor<'f32'> {
  const { vl, k, rows, lead, indices } = checkKernelArgs('admixFromTopk', args);
  const w = bf16Values(args.weights);
  const bank = bf16Values(args.bank);
  const out = new Float32Array(rows * vl);
  for (let row = 0; row < rows; row++) {
    for (let c = 0; c < vl; c++)
      out[row * vl + c] = dot(
        k,
        (j) => w[row * k + j]!,
        (j) => bank[indices[row * k + j]! * vl + c]!,
      );
  }
  return tensor('f32', [...lead, vl], out);
}

function bf16Compute(precision: Precision): Backend {
  const kernels = { deltaWeight, linear, adapterForward, admixFromTopk } as Partial<KernelSet>;
  return backendOf(`bf16-compute-declared-${precision}`, kernels, precision);
}

const cases = allCases().filter((c) => ['deltaWeight', 'linear', 'adapterForward', 'admixFromTopk'].includes(c.kernel));

describe('the declared precision selects the tolerances', () => {
  it('a bf16-compute backend passes every case of its kernels when it declares bf16, judged by the bf16 column', async () => {
    const report = await checkConformance(bf16Compute('bf16'), { cases });
    expect(report.cases.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.message}`)).toEqual([]);
    expect(report.precision).toBe('bf16');
    const delta = report.cases.find((c) => c.id.startsWith('deltaWeight/golden/'))!;
    expect(delta.accuracy).toBe(`delta: |a−e| ≤ ${BF16_TOL.atol} + ${BF16_TOL.rtol}·|e|`);
    // it really computes in bf16: its errors are far above the float32 tolerance
    expect(
      Math.max(...report.cases.filter((c) => c.kernel === 'deltaWeight').map((c) => c.maxAbs['delta'] ?? 0)),
    ).toBeGreaterThan(1e-4);
  });

  it('the same backend claiming f32 is held to the f32 tolerances and fails', async () => {
    const report = await checkConformance(bf16Compute('f32'), { cases });
    expect(report.ok).toBe(false);
    const failed = report.cases.filter((c) => c.status === 'fail');
    for (const kernel of ['deltaWeight', 'linear', 'adapterForward', 'admixFromTopk']) {
      expect(
        failed.some((c) => c.kernel === kernel && /fail \|a − e\| ≤ 0\.000001 \+ 0\.00001·\|e\|/.test(c.message)),
        kernel,
      ).toBe(true);
    }
  });

  it('expected errors keep their rule at every precision', async () => {
    const report = await checkConformance(bf16Compute('bf16'), { cases: cases.filter((c) => c.throws !== undefined) });
    expect(report.ok).toBe(true);
    expect(report.cases.every((c) => c.accuracy.startsWith('throws '))).toBe(true);
  });
});
