/**
 * Each case kind of the kit rejects the port bug it exists for, with a message naming the kernel and the symptom,
 * while the same backend without the bug passes every case of its kernels.
 */
import { describe, expect, it } from 'vitest';
import {
  checkKernelArgs,
  fromF32,
  tensor,
  toF32,
  type Backend,
  type HostTensor,
  type KernelName,
  type KernelSet,
} from '@vblora/core';
import { allCases, checkConformance, type CaseResult, type ConformanceReport } from '@vblora/conformance';
import {
  backendOf,
  cpuKernels,
  mergeHalfAway,
  plainDeltaWeight,
  plainLogitsFromTopk,
  plainTopkWeightsForSave,
  type LooseKernels,
} from './helpers/single-bug-backends.js';

const suite = allCases();
const casesOf = (...kernels: KernelName[]) => suite.filter((c) => kernels.includes(c.kernel));
const failures = (r: ConformanceReport): CaseResult[] => r.cases.filter((c) => c.status === 'fail');

async function run(backend: Backend, ...kernels: KernelName[]): Promise<ConformanceReport> {
  return checkConformance(backend, { cases: casesOf(...kernels) });
}

/** Asserts that a failing case's id matches `id` and its message `message`. */
function expectRejected(report: ConformanceReport, id: RegExp, message: RegExp): void {
  const f = failures(report);
  const hit = f.find((c) => id.test(c.id) && message.test(c.message));
  expect(
    hit,
    `no failing case ${String(id)} with ${String(message)}; failures:\n${f
      .slice(0, 4)
      .map((c) => `${c.id}: ${c.message}`)
      .join('\n')}`,
  ).toBeDefined();
}

function expectClean(report: ConformanceReport): void {
  expect(failures(report).map((c) => `${c.id}: ${c.message}`)).toEqual([]);
  expect(report.totals.passed).toBeGreaterThan(0);
}

const K = cpuKernels;
type Args<N extends KernelName> = Parameters<KernelSet[N]>[0];

describe('controls: the backends the bugs are planted in pass every case of their kernels', () => {
  it('the CPU backend wrapped, and the plain deltaWeight, topkWeightsForSave and logitsFromTopk', async () => {
    const kernels: LooseKernels = {
      ...K,
      deltaWeight: plainDeltaWeight,
      topkWeightsForSave: (a) => plainTopkWeightsForSave(a),
      logitsFromTopk: (a) => plainLogitsFromTopk(a),
    };
    expectClean(await checkConformance(backendOf('control', kernels)));
  });
});

describe('expected errors', () => {
  it('a merge that ignores safe fails the safe-mode cases (the result must be refused, with PEFT’s message)', async () => {
    const r = await run(backendOf('merge-ignores-safe', { merge: (a) => K.merge({ ...a, safe: false }) }), 'merge');
    expectRejected(
      r,
      /^merge\/safe-s711-f16-overflow/,
      /merge-ignores-safe\.merge returned a result, but it must fail: it throws NumericalError .*NaNs detected in the merged weights/,
    );
  });

  it('a merge that checks for non-finite values before rounding to the weight dtype misses the f16/bf16 overflow', async () => {
    const before = (a: Args<'merge'>) => {
      checkKernelArgs('merge', a);
      const sum = K.merge({ ...a, weight: toF32(a.weight as HostTensor), safe: a.safe ?? false }) as HostTensor<'f32'>;
      return fromF32(sum, a.weight.dtype);
    };
    const r = await run(backendOf('merge-checks-f32', { merge: before }), 'merge');
    expectRejected(r, /^merge\/safe-s71[12]-b?f16-overflow-after-rounding$/, /returned a result, but it must fail/);
    expect(
      failures(r).every((c) => /overflow-after-rounding/.test(c.id)),
      failures(r)
        .map((c) => c.id)
        .join(', '),
    ).toBe(true);
  });

  it('logitsFromTopk ignoring safe gives PEFT’s NaN where it must clamp, and accepts corrupted weights', async () => {
    const r = await run(
      backendOf('reload-ignores-safe', { logitsFromTopk: (a) => plainLogitsFromTopk(a, false) }),
      'logitsFromTopk',
    );
    expectRejected(
      r,
      /^logitsFromTopk\/safe-s720-nan-weight$/,
      /returned a result, but it must fail: it throws NumericalError/,
    );
    expectRejected(
      r,
      /^logitsFromTopk\/safe-s72[345]-k\d-sum-above-one$/,
      /logits: .* fail .*actual NaN, expected -Infinity/s,
    );
    expectRejected(r, /^logitsFromTopk\/golden\/edge_topk3_ties_zero_nan\/.*\/safe$/, /actual NaN, expected -Infinity/);
  });

  it('saving without the NaN-safety adjustment is rejected although every weight is within tolerance', async () => {
    const r = await run(
      backendOf('save-unadjusted', { topkWeightsForSave: (a) => plainTopkWeightsForSave(a, false) }),
      'topkWeightsForSave',
    );
    expectRejected(r, /^topkWeightsForSave\/tiny-tail-s733-nv24-k3$/, /weightsKm1: PEFT reloads rows? .* as NaN/);
    expectRejected(r, /^topkWeightsForSave\/golden\/edge_topk3_ties_zero_nan\//, /PEFT reloads rows? .* as NaN/);
  });

  it('an adjustment that checks only the in-order float32 sum misses the k ≥ 4 margin', async () => {
    const inOrderOnly = async (a: Args<'topkWeightsForSave'>) => {
      const r = await plainTopkWeightsForSave(a, false);
      const m = a.k - 1;
      const w = r.weightsKm1.data;
      for (let row = 0; row < w.length / Math.max(m, 1); row++) {
        const sum = () => w.subarray(row * m, (row + 1) * m).reduce((s, v) => Math.fround(s + v), 0);
        while (m > 0 && sum() > 1) w[row * m] = new Float32Array([w[row * m]! * (1 - 2 ** -24)])[0]!;
      }
      return r;
    };
    const r = await run(backendOf('save-in-order-only', { topkWeightsForSave: inOrderOnly }), 'topkWeightsForSave');
    expectRejected(
      r,
      /^topkWeightsForSave\/tiny-tail-s73[456]-nv24-k[456]$/,
      /PEFT may reload rows? .* as NaN: the exact sum of the \d stored weights exceeds 1 − \d·2⁻²⁵/,
    );
  });

  it('a kernel that throws a plain Error where the contract names ShapeError fails the validation cases', async () => {
    const untyped = (a: Args<'merge'>) => {
      try {
        return K.merge(a);
      } catch (err) {
        throw new Error((err as Error).message);
      }
    };
    const r = await run(backendOf('untyped-errors', { merge: untyped }), 'merge');
    expectRejected(r, /^merge\/invalid-weight-i32$/, /threw Error: .*\n {2}but it throws ShapeError/);
  });

  it('a kernel that validates nothing fails the validation cases', async () => {
    const lax = (a: Args<'deltaWeight'>) => {
      const [r, inF] = a.A.shape as [number, number];
      const outF = a.B.shape[0]!;
      return tensor(
        'f32',
        [outF, inF],
        new Float32Array(outF * inF).map((_, i) => a.B.data[Math.floor(i / inF) * r]! * a.A.data[i % inF]!),
      );
    };
    const r = await run(backendOf('lax', { deltaWeight: lax }), 'deltaWeight');
    expectRejected(
      r,
      /^deltaWeight\/invalid-A-bf16$/,
      /returned a result, but it must fail: it throws ShapeError with a message matching \/\\bA\\b\//,
    );
  });
});

describe('input immutability', () => {
  it('a kernel that writes into its logits is named with the argument and the element', async () => {
    const writes = (a: Args<'topkAdmixture'>) => {
      const r = K.topkAdmixture(a);
      a.logits.data[0] = 0;
      return r;
    };
    const r = await run(backendOf('writes-logits', { topkAdmixture: writes }), 'topkAdmixture');
    expectRejected(
      r,
      /^topkAdmixture\//,
      /^writes-logits\.topkAdmixture wrote into its argument: logits\.data\[0\] was -?[\d.e-]+, is now 0 /,
    );
  });

  it('a nested argument (a mixed batch’s adapters) and a replaced shape are found too', async () => {
    const writes = (a: Args<'mixedBatchForward'>) => {
      const y = K.mixedBatchForward(a);
      (a.adapters[a.adapters.length - 1]!.B.data as Float32Array)[3] = 7;
      return y;
    };
    const r = await run(backendOf('writes-adapter', { mixedBatchForward: writes }), 'mixedBatchForward');
    expectRejected(r, /^mixedBatchForward\//, /wrote into its argument: adapters\[\d\]\.B\.data\[3\] was .*, is now 7/);
    const reshapes = (a: Args<'deltaWeight'>) => {
      const d = plainDeltaWeight(a);
      (a.A as unknown as { shape: number[] }).shape = [a.A.data.length];
      return d;
    };
    const r2 = await run(backendOf('reshapes', { deltaWeight: reshapes }), 'deltaWeight');
    expectRejected(r2, /^deltaWeight\//, /wrote into its argument: A\.shape changed from \[\d+, \d+\] to \[\d+\]/);
  });

  it('one kernel’s in-place write never shows up as another kernel’s failure (cases share golden tensors)', async () => {
    const clobbers = (a: Args<'composeLowRank'>) => {
      const r = K.composeLowRank(a);
      a.bank.data.fill(0);
      return r;
    };
    const golden = suite.filter(
      (c) => c.source === 'peft-golden' && (c.kernel === 'composeLowRank' || c.kernel === 'topkAdmixture'),
    );
    const both = backendOf('clobbers-bank', { composeLowRank: clobbers, topkAdmixture: K.topkAdmixture });
    const r = await checkConformance(both, { cases: golden });
    const compose = r.cases.filter((c) => c.kernel === 'composeLowRank');
    expect(
      compose.every((c) => c.status === 'fail' && /wrote into its argument: bank\.data\[\d+\]/.test(c.message)),
    ).toBe(true);
    expect(r.cases.filter((c) => c.kernel === 'topkAdmixture').every((c) => c.status === 'pass')).toBe(true);
    // and the suite's own tensors are untouched: the reference still passes the same cases afterwards
    expectClean(await checkConformance(backendOf('again', { composeLowRank: K.composeLowRank }), { cases: golden }));
  });
});

describe('result validation by the kernel contract', () => {
  it('deltaWeight returning { delta } instead of the tensor', async () => {
    const r = await run(
      backendOf('delta-object', { deltaWeight: (a: Args<'deltaWeight'>) => ({ delta: plainDeltaWeight(a) }) }),
      'deltaWeight',
    );
    expectRejected(
      r,
      /^deltaWeight\//,
      /^delta-object\.deltaWeight: the result must be a host tensor .*got an object with keys delta/,
    );
  });

  it('top-k indices in i16, and a wrong data array', async () => {
    const i16 = (a: Args<'topkAdmixture'>) => {
      const r = K.topkAdmixture(a);
      return { ...r, indices: tensor('i16', r.indices.shape, Int16Array.from(r.indices.data)) };
    };
    expectRejected(
      await run(backendOf('i16-indices', { topkAdmixture: i16 }), 'topkAdmixture'),
      /^topkAdmixture\//,
      /result indices must be i32, got i16/,
    );
    const f64 = (a: Args<'deltaWeight'>) => {
      const d = plainDeltaWeight(a);
      return { ...d, data: Float64Array.from(d.data) };
    };
    expectRejected(
      await run(backendOf('f64-data', { deltaWeight: f64 }), 'deltaWeight'),
      /^deltaWeight\//,
      /data must be a Float32Array/,
    );
  });
});

describe('new inputs', () => {
  it('NaN logits treated as −inf: the NaN cases fail on the indices (NaN ranks highest)', async () => {
    const nanLow = (a: Args<'topkAdmixture'>) => {
      checkKernelArgs('topkAdmixture', a);
      return K.topkAdmixture({
        ...a,
        logits: tensor(
          'f32',
          a.logits.shape,
          a.logits.data.map((v) => (Number.isNaN(v) ? -Infinity : v)),
        ),
      });
    };
    const r = await run(backendOf('nan-as-neg-inf', { topkAdmixture: nanLow }), 'topkAdmixture');
    expectRejected(
      r,
      /^topkAdmixture\/rand-s800-nv16-vl4-k1-nan$/,
      /^indices: \d+ of \d+ elements .* fail exact equality/,
    );
    expect(
      failures(r).every((c) => /nan|nonfinite/.test(c.id)),
      failures(r)
        .map((c) => c.id)
        .join(', '),
    ).toBe(true);
  });

  it('indices kept in 16 bits wrap above 32,767 vectors', async () => {
    const wraps = (a: Args<'topkAdmixture'>) => {
      const r = K.topkAdmixture(a);
      return { ...r, indices: tensor('i32', r.indices.shape, Int32Array.from(Int16Array.from(r.indices.data))) };
    };
    const r = await run(backendOf('i16-wrap', { topkAdmixture: wraps }), 'topkAdmixture');
    expectRejected(
      r,
      /^topkAdmixture\/rand-s900-nv32771-vl2-k3$/,
      /indices: .*expected 3276\d|indices: .* fail exact equality/,
    );
    expect(failures(r).map((c) => c.id)).toEqual(['topkAdmixture/rand-s900-nv32771-vl2-k3']);
    const narrowInput = (a: Args<'admixFromTopk'>) =>
      K.admixFromTopk({
        ...a,
        indices: tensor(
          'i32',
          a.indices.shape,
          Int32Array.from(Int16Array.from(a.indices.data as ArrayLike<number>, Number)),
        ),
      });
    const r2 = await run(backendOf('i16-input', { admixFromTopk: narrowInput }), 'admixFromTopk');
    expectRejected(
      r2,
      /^admixFromTopk\/rand-s900-nv32771-vl2-k3-i32$/,
      /threw ShapeError: .*indices.* out of range|vectors: /,
    );
  });

  it('the output dtype taken from the base output instead of x (PEFT returns x’s dtype)', async () => {
    const wrongDtype = (a: Args<'adapterForward'>) =>
      fromF32(toF32(K.adapterForward(a) as HostTensor), a.baseOut.dtype);
    const r = await run(backendOf('dtype-of-base', { adapterForward: wrongDtype }), 'adapterForward');
    expectRejected(
      r,
      /^adapterForward\/rand-s1000-x-f32-base-bf16$/,
      /adapterForward: the result must be f32, got bf16/,
    );
    expect(
      failures(r).every((c) => /-x-.*-base-/.test(c.id)),
      failures(r)
        .map((c) => c.id)
        .join(', '),
    ).toBe(true);
  });

  it('f16 subnormals flushed to zero', async () => {
    const ftz = (a: Args<'merge'>) => {
      const w = K.merge(a) as HostTensor;
      if (w.dtype !== 'f16') return w;
      return tensor(
        'f16',
        w.shape,
        (w.data as Uint16Array).map((b) => ((b & 0x7c00) === 0 ? b & 0x8000 : b)),
      );
    };
    const r = await run(backendOf('f16-ftz', { merge: ftz }), 'merge');
    expectRejected(r, /^merge\/f16-subnormals-s1120$/, /weight: not rounded to nearest even in f16/);
  });

  it('round half away from zero in bf16/f16 merges is caught by the exact midpoints', async () => {
    const r = await run(backendOf('half-away', { merge: mergeHalfAway }), 'merge');
    for (const dtype of ['bf16', 'f16']) {
      expectRejected(
        r,
        new RegExp(`^merge/exact-midpoints-s\\d+-${dtype}`),
        new RegExp(`not rounded to nearest even in ${dtype} \\(an exact midpoint: ties go to even\\)`),
      );
    }
  });

  it('the sign of zero is compared bit for bit where bit-identity is declared (bf16/f16 unmerge)', async () => {
    const plusZero = (a: Args<'unmerge'>) => {
      const w = K.unmerge(a) as HostTensor;
      if (w.dtype === 'f32') return w;
      return tensor(w.dtype, w.shape, (w.data as Uint16Array).map((b) => (b === 0x8000 ? 0 : b)) as never);
    };
    const r = await run(backendOf('loses-minus-zero', { unmerge: plusZero }), 'unmerge');
    expectRejected(r, /^unmerge\/zero-signs-s1111-f16$/, /\[\d+\]: actual 0, expected -0/);
    const minusZero = (a: Args<'unmerge'>) => {
      const w = K.unmerge(a) as HostTensor;
      if (w.dtype === 'f32') return w;
      return tensor(w.dtype, w.shape, (w.data as Uint16Array).map((b) => (b === 0 ? 0x8000 : b)) as never);
    };
    const r2 = await run(backendOf('negates-zero', { unmerge: minusZero }), 'unmerge');
    expectRejected(r2, /^unmerge\/zero-signs-s1110-bf16$/, /\[\d+\]: actual -0, expected 0/);
  });
});
