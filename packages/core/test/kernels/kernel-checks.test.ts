import { describe, expect, it } from 'vitest';
import { AdapterError, ConfigError, NumericalError, ShapeError } from '../../src/errors.js';
import {
  KERNEL_ARG_CHECKS,
  KERNEL_CONTRACTS,
  KERNEL_NAMES,
  TOPK_RESUME_MESSAGE,
  checkAdmixFromTopkArgs,
  checkComposeLowRankArgs,
  checkKernelArgs,
  checkKernelResult,
  expectedKernelOutputs,
  kernelResultProblems,
  nonFiniteMergeError,
  referenceBackend,
  topkResumeError,
  type KernelArgs,
  type KernelName,
} from '../../src/index.js';
import { f32, tensor, type HostTensor } from '../../src/tensor/index.js';
import { randomNormal, randomUniform } from './helpers/f64-reference.js';

// nv 6, vl 2, k 2, r 2, in 4 (in_t 2), out 6 (out_t 3)
const bank = randomUniform([6, 2], 1);
const logitsA = randomNormal([2, 2, 6], 2);
const logitsB = randomNormal([3, 2, 6], 3);
const A = randomUniform([2, 4], 4);
const B = randomUniform([6, 2], 5);
const x = randomNormal([3, 4], 6);
const baseOut = randomNormal([3, 6], 7);
const i32 = (shape: number[], v: number[]): HostTensor<'i32'> => tensor('i32', shape, Int32Array.from(v));

/** Small valid arguments for every kernel. */
const VALID: { readonly [K in KernelName]: KernelArgs<K> } = {
  topkAdmixture: { logits: logitsA, bank, k: 2 },
  admixFromTopk: { indices: i32([2, 2], [0, 5, 3, 3]), weights: f32([2, 2], [0.75, 0.25, 0.5, 0.5]), bank },
  logitsFromTopk: {
    indices: tensor('u8', [2, 3], Uint8Array.from([0, 1, 2, 5, 4, 3])),
    weightsKm1: f32([2, 2], [0.5, 0.3, 0.6, 0.2]),
    nv: 6,
  },
  topkWeightsForSave: { logits: logitsA, k: 3 },
  topkReload: {
    indices: tensor('u8', [2, 3], Uint8Array.from([0, 1, 2, 5, 4, 3])),
    weightsKm1: f32([2, 2], [0.5, 0.3, 0.6, 0.2]),
    k: 3,
  },
  composeLowRank: { logitsA, logitsB, bank, k: 2 },
  deltaWeight: { A, B, fanInFanOut: true },
  merge: { weight: randomNormal([6, 4], 8), A, B },
  unmerge: { weight: tensor('bf16', [4, 6], new Uint16Array(24).fill(0x3f80)), A, B, fanInFanOut: true },
  linear: { x, weight: randomNormal([6, 4], 9), bias: randomNormal([6], 10) },
  adapterForward: { x, baseOut, A, B, dropout: { p: 0.25, seed: 3 } },
  mixedBatchForward: { x, baseOut, adapters: [{ A, B }], rowAdapter: Int32Array.from([0, -1, 0]) },
  admixtureBackward: { logits: logitsA, bank, k: 2, gradVectors: randomNormal([2, 2, 2], 11) },
  composeBackward: { logitsA, logitsB, bank, k: 2, gradA: randomNormal([2, 4], 12), gradB: randomNormal([6, 2], 13) },
};

async function run<K extends KernelName>(kernel: K, args: KernelArgs<K>): Promise<unknown> {
  const fn = referenceBackend.kernels[kernel] as (a: KernelArgs<K>) => unknown;
  return fn(args);
}

describe('checkKernelResult: the result has the form KERNEL_CONTRACTS declares', () => {
  it.each(KERNEL_NAMES)('%s: the reference result passes, with one entry per contract output', async (kernel) => {
    const args = VALID[kernel] as KernelArgs<typeof kernel>;
    const outputs = expectedKernelOutputs(kernel, args);
    expect(Object.keys(outputs)).toEqual(KERNEL_CONTRACTS[kernel].outputs.map((o) => o.name));
    const result = await run(kernel, args);
    expect(kernelResultProblems(kernel, args, result)).toEqual([]);
    expect(() => checkKernelResult(kernel, args, result)).not.toThrow();
  });

  it('rejects a wrapped single output, a wrong index dtype, shape or data array, and bad nudgedRows', async () => {
    const delta = await run('deltaWeight', VALID.deltaWeight);
    expect(() => checkKernelResult('deltaWeight', VALID.deltaWeight, { delta })).toThrow(
      'deltaWeight: the result must be a host tensor { dtype, shape, data }, got an object with keys delta',
    );
    const topk = (await run('topkAdmixture', VALID.topkAdmixture)) as Record<string, HostTensor>;
    const i16 = {
      ...topk,
      indices: tensor('i16', topk['indices']!.shape, Int16Array.from(topk['indices']!.data as Int32Array)),
    };
    expect(() => checkKernelResult('topkAdmixture', VALID.topkAdmixture, i16)).toThrow(
      expect.objectContaining({
        name: 'ShapeError',
        where: 'indices',
        message: 'topkAdmixture: result indices must be i32, got i16',
      }),
    );
    const flat = { ...topk, vectors: { ...topk['vectors']!, shape: [8] } };
    expect(kernelResultProblems('topkAdmixture', VALID.topkAdmixture, flat)).toEqual([
      { where: 'vectors', message: 'topkAdmixture: result vectors must have shape (2, 2, 2), got (8)' },
    ]);
    const f64 = { dtype: 'f32', shape: [4, 6], data: new Float64Array(24) };
    expect(() => checkKernelResult('deltaWeight', VALID.deltaWeight, f64)).toThrow(
      /data must be a Float32Array of 24 elements, got Float64Array\(24\)/,
    );
    const merged = await run('unmerge', VALID.unmerge);
    expect(
      kernelResultProblems('unmerge', VALID.unmerge, { ...(merged as HostTensor), dtype: 'f32' })[0]?.message,
    ).toBe('unmerge: the result must be bf16, got f32');
    const save = (await run('topkWeightsForSave', VALID.topkWeightsForSave)) as Record<string, unknown>;
    expect(() =>
      checkKernelResult('topkWeightsForSave', VALID.topkWeightsForSave, { ...save, nudgedRows: [3, 1] }),
    ).toThrow(/nudgedRows must be an array of increasing row numbers in \[0, 4\)/);
    expect(() => checkKernelResult('composeLowRank', VALID.composeLowRank, undefined)).toThrow(
      /must be an object with A, B, got undefined/,
    );
  });
});

describe('checkKernelArgs: the reference kernels run exactly these checks', () => {
  const BAD: { [K in KernelName]?: { args: KernelArgs<K>; error: RegExp } } = {
    topkAdmixture: {
      args: { ...VALID.topkAdmixture, k: 7 },
      error: /^topkAdmixture: k must be an integer with 1 ≤ k ≤ num_vectors \(6\), got 7/,
    },
    admixFromTopk: {
      args: { ...VALID.admixFromTopk, indices: i32([2, 2], [0, 6, 1, 1]) },
      error: /^admixFromTopk: indices\[1\] = 6 is out of range/,
    },
    composeLowRank: {
      args: {
        ...VALID.composeLowRank,
        logitsA: { indices: i32([2, 2, 2], [0, 1, 2, 3, 4, 5, 0, 9]), weights: f32([2, 2, 2], new Array(8).fill(0.5)) },
      },
      error: /^composeLowRank: logitsA\.indices\[7\] = 9 is out of range, indices must lie in \[0, 6\)$/,
    },
    linear: {
      args: { ...VALID.linear, x: tensor('i32', [3, 4], new Int32Array(12)) as never },
      error: /^linear: x must be f32, bf16 or f16, got i32$/,
    },
    mixedBatchForward: {
      args: { ...VALID.mixedBatchForward, rowAdapter: Int32Array.from([0, 1, 0]) },
      error: /rowAdapter\[1\] = 1 is not an adapter number/,
    },
  };
  it.each(Object.keys(BAD) as KernelName[])(
    '%s: same error class and message from the check and the reference kernel',
    async (kernel) => {
      const { args, error } = BAD[kernel]! as { args: KernelArgs<typeof kernel>; error: RegExp };
      expect(() => checkKernelArgs(kernel, args)).toThrow(error);
      const thrown = await run(kernel, args).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(thrown).toBeInstanceOf(ShapeError);
      expect((thrown as Error).message).toMatch(error);
    },
  );

  it('covers every kernel', () => {
    expect(Object.keys(KERNEL_ARG_CHECKS).sort()).toEqual([...KERNEL_NAMES].sort());
  });

  it('dropout and stored-weight values: ConfigError and NumericalError, as the reference', () => {
    expect(() => checkKernelArgs('adapterForward', { ...VALID.adapterForward, dropout: { p: 1.5, seed: 1 } })).toThrow(
      ConfigError,
    );
    expect(() =>
      checkKernelArgs('adapterForward', { ...VALID.adapterForward, dropout: { p: 0.5, seed: 0.5 } }),
    ).toThrow(/seed must be a safe integer/);
    const corrupt = { ...VALID.logitsFromTopk, weightsKm1: f32([2, 2], [0.5, -0.1, 0.6, 0.2]), safe: true };
    expect(() => checkKernelArgs('logitsFromTopk', corrupt)).toThrow(NumericalError);
    expect(() => checkKernelArgs('logitsFromTopk', corrupt)).toThrow('logitsFromTopk: stored top-k weight [1] = ');
  });

  it('device tensors (dtype and shape only): structure checked, index values left to their producer', () => {
    const info = (dtype: string, shape: number[]) => ({ dtype, shape });
    const d = checkAdmixFromTopkArgs({
      indices: info('i32', [2, 2]),
      weights: info('f32', [2, 2]),
      bank: info('f32', [6, 2]),
    });
    expect(d).toEqual({ nv: 6, vl: 2, k: 2, rows: 2, lead: [2] });
    expect(() =>
      checkAdmixFromTopkArgs({ indices: info('f32', [2, 2]), weights: info('f32', [2, 2]), bank: info('f32', [6, 2]) }),
    ).toThrow('admixFromTopk: indices must be an integer tensor, got f32');
    const topk = { indices: info('i32', [2, 2, 2]), weights: info('f32', [2, 2, 2]) };
    expect(
      checkComposeLowRankArgs({ logitsA: topk, logitsB: info('f32', [3, 2, 6]), bank: info('f32', [6, 2]), k: 2 }),
    ).toMatchObject({
      r: 2,
      inT: 2,
      outT: 3,
      indicesA: undefined,
    });
  });
});

describe('kernel errors: PEFT’s texts word for word', () => {
  it('safe merge (SPEC §4.4) and the top-k resume guard (SPEC §4.2)', () => {
    expect(nonFiniteMergeError('default', undefined, 3).message).toBe(
      'NaNs detected in the merged weights. The adapter default seems to be broken',
    );
    expect(TOPK_RESUME_MESSAGE).toBe(
      'Found infinity values in VB-LoRA logits. Ensure training was not resumed from a `save_only_topk_weights` model.',
    );
    const e = topkResumeError({ module: 'model.q', adapter: 'a' });
    expect(e).toBeInstanceOf(AdapterError);
    expect(e.message).toBe(`${TOPK_RESUME_MESSAGE} (adapter "a")`);
    expect(e.module).toBe('model.q');
  });
});
