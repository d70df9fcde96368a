/**
 * Error parity: the same bad arguments, fed to every first-party backend available in Node, give the reference's
 * error — same class, same name, same message — because every backend runs core's kernel checks
 * (`checkKernelArgs`) and error factories instead of its own copies. It lives here because @vblora/cli is the one
 * package that already depends on every backend (backends never import each other, and core's tests cannot import
 * them). Each backend comes from its package's own factory; one without a device here (no WebGPU adapter) is skipped, except with CI=true, where it must run.
 */
import {
  f32,
  referenceBackend,
  referenceKernelCalls,
  tensor,
  type Backend,
  type HostTensor,
  type KernelArgs,
  type KernelName,
} from '@vblora/core';
import { createBackend as createCpuBackend } from '@vblora/cpu';
import { createOnnxBackend } from '@vblora/onnx';
import { createBackend as createTfjsBackend } from '@vblora/tfjs';
import { createBackend as createWebGpuBackend } from '@vblora/webgpu';
import { describe, expect, it } from 'vitest';

// nv 6, vl 2, k 2, r 2, in 4 (in_t 2), out 6 (out_t 3); values are seeded-free constants, shapes are what matters
const fill = (shape: number[], v = 0.25): HostTensor<'f32'> =>
  f32(shape, new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(v));
const ramp = (shape: number[]): HostTensor<'f32'> =>
  f32(
    shape,
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => ((i * 7) % 11) / 11 - 0.5),
  );
const i32 = (shape: number[], v: number[]): HostTensor<'i32'> => tensor('i32', shape, Int32Array.from(v));
const bf16 = (shape: number[]): HostTensor<'bf16'> =>
  tensor('bf16', shape, new Uint16Array(shape.reduce((a, b) => a * b, 1)).fill(0x3f80));
const bank = ramp([6, 2]);
const logitsA = ramp([2, 2, 6]);
const logitsB = ramp([3, 2, 6]);
const A = ramp([2, 4]);
const B = ramp([6, 2]);
const x = ramp([3, 4]);
const baseOut = ramp([3, 6]);
const topkA = { indices: i32([2, 2, 2], [0, 1, 2, 3, 4, 5, 0, 1]), weights: fill([2, 2, 2], 0.5) };
const nanA = f32([2, 4], [0, 0, Number.NaN, 0, 0, 0, 0, 0]);

/** One bad call: a kernel, its arguments, and (for the record) the rule it breaks. */
interface BadCall<K extends KernelName = KernelName> {
  readonly id: string;
  readonly kernel: K;
  readonly args: KernelArgs<K>;
}

const bad = <K extends KernelName>(id: string, kernel: K, args: KernelArgs<K>): BadCall =>
  ({ id, kernel, args }) as BadCall;

/** Bad arguments for every kernel: the checks in which backends used to drift, and each kernel's main rules. */
const BAD_CALLS: readonly BadCall[] = [
  bad('topk/logits-dtype', 'topkAdmixture', { logits: bf16([2, 6]) as never, bank, k: 2 }),
  bad('topk/bank-rank', 'topkAdmixture', { logits: logitsA, bank: ramp([12]), k: 2 }),
  bad('topk/logits-nv', 'topkAdmixture', { logits: ramp([2, 5]), bank, k: 2 }),
  bad('topk/k-too-big', 'topkAdmixture', { logits: logitsA, bank, k: 7 }),
  bad('topk/k-fraction', 'topkAdmixture', { logits: logitsA, bank, k: 1.5 }),
  bad('admix/index-range', 'admixFromTopk', { indices: i32([1, 2], [0, 6]), weights: fill([1, 2]), bank }),
  bad('admix/index-dtype', 'admixFromTopk', { indices: fill([1, 2]), weights: fill([1, 2]), bank }),
  bad('admix/weights-shape', 'admixFromTopk', { indices: i32([1, 2], [0, 1]), weights: fill([2, 1]), bank }),
  bad('admix/indices-scalar', 'admixFromTopk', { indices: i32([], [0]), weights: fill([]), bank }),
  bad('logits/weights-shape', 'logitsFromTopk', { indices: i32([1, 3], [0, 1, 2]), weightsKm1: fill([1, 1]), nv: 6 }),
  bad('logits/scalar-indices', 'logitsFromTopk', { indices: i32([], [0]), weightsKm1: fill([1]), nv: 6 }),
  bad('logits/k-over-nv', 'logitsFromTopk', { indices: i32([1, 3], [0, 1, 2]), weightsKm1: fill([1, 2]), nv: 2 }),
  bad('logits/index-range', 'logitsFromTopk', {
    indices: tensor('u8', [1, 3], Uint8Array.of(0, 1, 9)),
    weightsKm1: fill([1, 2]),
    nv: 6,
  }),
  bad('logits/safe-stored', 'logitsFromTopk', {
    indices: i32([1, 3], [0, 1, 2]),
    weightsKm1: f32([1, 2], [0.5, -0.1]),
    nv: 6,
    safe: true,
  }),
  bad('save/scalar-logits', 'topkWeightsForSave', { logits: fill([]), k: 1 }),
  bad('reload/weights-dtype', 'topkReload', {
    indices: i32([1, 2], [0, 1]),
    weightsKm1: i32([1, 1], [0]) as never,
    k: 2,
  }),
  bad('reload/weights-shape', 'topkReload', { indices: i32([1, 3], [0, 1, 2]), weightsKm1: fill([1, 1]), k: 3 }),
  bad('reload/indices-k', 'topkReload', { indices: i32([1, 3], [0, 1, 2]), weightsKm1: fill([1, 1]), k: 2 }),
  bad('reload/k-zero', 'topkReload', { indices: i32([1, 0], []), weightsKm1: fill([1, 0]), k: 0 }),
  bad('reload/index-range', 'topkReload', {
    indices: tensor('u8', [1, 2], Uint8Array.of(0, 9)),
    weightsKm1: fill([1, 1]),
    k: 2,
    nv: 6,
  }),
  bad('reload/stored-weight', 'topkReload', {
    indices: i32([2, 2], [0, 1, 2, 3]),
    weightsKm1: f32([2, 1], [0.5, 1.5]),
    k: 2,
  }),
  bad('save/k-zero', 'topkWeightsForSave', { logits: logitsA, k: 0 }),
  bad('compose/bank-rank', 'composeLowRank', { logitsA, logitsB, bank: ramp([12]), k: 2 }),
  bad('compose/bank-dtype', 'composeLowRank', { logitsA, logitsB, bank: bf16([6, 2]) as never, k: 2 }),
  bad('compose/logitsA-rank', 'composeLowRank', { logitsA: ramp([4, 6]), logitsB, bank, k: 2 }),
  bad('compose/logitsB-nv', 'composeLowRank', { logitsA, logitsB: ramp([3, 2, 5]), bank, k: 2 }),
  bad('compose/rank-mismatch', 'composeLowRank', { logitsA, logitsB: ramp([3, 3, 6]), bank, k: 2 }),
  bad('compose/topk-k', 'composeLowRank', { logitsA: topkA, logitsB, bank, k: 3 }),
  bad('compose/topk-weights-shape', 'composeLowRank', {
    logitsA: { ...topkA, weights: fill([2, 1, 2]) },
    logitsB,
    bank,
    k: 2,
  }),
  bad('compose/topk-index-range', 'composeLowRank', {
    logitsA: { ...topkA, indices: i32([2, 2, 2], [0, 1, 2, 3, 4, 5, 0, 6]) },
    logitsB,
    bank,
    k: 2,
  }),
  bad('compose/k-over-nv', 'composeLowRank', { logitsA: topkA, logitsB: topkA, bank: ramp([1, 2]), k: 2 }),
  bad('delta/B-rank', 'deltaWeight', { A, B: ramp([6, 3]) }),
  bad('delta/A-dtype', 'deltaWeight', { A: bf16([2, 4]) as never, B }),
  bad('merge/weight-shape', 'merge', { weight: ramp([4, 6]), A, B }),
  bad('merge/weight-dtype', 'merge', { weight: i32([6, 4], new Array<number>(24).fill(0)) as never, A, B }),
  bad('merge/safe-nan', 'merge', {
    weight: ramp([6, 4]),
    A: nanA,
    B,
    safe: true,
    adapter: 'ad',
    module: 'model.layers.0.q_proj',
  }),
  bad('unmerge/fan-in-fan-out', 'unmerge', { weight: bf16([6, 4]), A, B, fanInFanOut: true }),
  bad('linear/weight-shape', 'linear', { x, weight: ramp([6, 5]) }),
  bad('linear/bias-shape', 'linear', { x, weight: ramp([6, 4]), bias: ramp([5]) }),
  bad('linear/x-scalar', 'linear', { x: fill([]), weight: ramp([6, 4]) }),
  bad('forward/x-in', 'adapterForward', { x: ramp([3, 5]), baseOut, A, B }),
  bad('forward/baseOut-shape', 'adapterForward', { x, baseOut: ramp([3, 5]), A, B }),
  bad('forward/dropout-p', 'adapterForward', { x, baseOut, A, B, dropout: { p: 1.5, seed: 1 } }),
  bad('mixed/x-rank', 'mixedBatchForward', {
    x: ramp([3, 1, 4]),
    baseOut,
    adapters: [{ A, B }],
    rowAdapter: Int32Array.of(0, 0, 0),
  }),
  bad('mixed/row-count', 'mixedBatchForward', { x, baseOut, adapters: [{ A, B }], rowAdapter: Int32Array.of(0, 0) }),
  bad('mixed/adapter-in', 'mixedBatchForward', {
    x,
    baseOut,
    adapters: [
      { A, B },
      { A: ramp([2, 5]), B },
    ],
    rowAdapter: Int32Array.of(0, 1, -1),
  }),
  bad('mixed/row-adapter', 'mixedBatchForward', {
    x,
    baseOut,
    adapters: [{ A, B }],
    rowAdapter: Int32Array.of(0, 1, -1),
  }),
  bad('backward/grad-shape', 'admixtureBackward', { logits: logitsA, bank, k: 2, gradVectors: ramp([2, 2, 3]) }),
  bad('backward/logits-nv', 'admixtureBackward', { logits: ramp([2, 5]), bank, k: 2, gradVectors: ramp([2, 2]) }),
  bad('compose-backward/logitsB-r', 'composeBackward', {
    logitsA,
    logitsB: ramp([3, 3, 6]),
    bank,
    k: 2,
    gradA: ramp([2, 4]),
    gradB: ramp([6, 2]),
  }),
  bad('compose-backward/gradA', 'composeBackward', {
    logitsA,
    logitsB,
    bank,
    k: 2,
    gradA: ramp([2, 5]),
    gradB: ramp([6, 2]),
  }),
];

/** What a failed call threw (sync or as a rejection), or undefined when it returned. */
async function thrown<K extends KernelName>(backend: Backend, call: BadCall<K>): Promise<unknown> {
  const fn = backend.kernels[call.kernel] as ((a: KernelArgs<K>) => unknown) | undefined;
  try {
    await fn!(call.args);
    return undefined;
  } catch (e) {
    return e;
  }
}

/** The first-party backends a Node process can run, each from its package's own factory. */
const BACKENDS: readonly { readonly name: string; readonly make: () => Promise<Backend> }[] = [
  { name: 'cpu (@vblora/cpu)', make: () => Promise.resolve(createCpuBackend()) },
  { name: 'tfjs-cpu (@vblora/tfjs)', make: () => createTfjsBackend({ tfBackend: 'cpu' }) },
  { name: 'onnxruntime-node (@vblora/onnx)', make: () => Promise.resolve(createOnnxBackend()) },
  { name: 'webgpu on Dawn (@vblora/webgpu)', make: () => createWebGpuBackend({}) },
];

describe('the reference’s errors for the bad calls', () => {
  it.each(BAD_CALLS.map((c) => [c.id, c] as const))('%s: the reference throws a typed error', async (_, call) => {
    const e = await thrown(referenceBackend, call);
    expect(e, 'the reference accepted a bad call').toBeInstanceOf(Error);
    expect((e as Error).name).toMatch(/^(ShapeError|NumericalError|ConfigError)$/);
    if ((e as Error).name === 'ShapeError') expect((e as Error).message.startsWith(`${call.kernel}: `)).toBe(true);
  });
});

describe.each(BACKENDS)('$name gives the reference’s error for every bad call', ({ name, make }) => {
  it('same class, name and message; the backend’s own kernel ran (no reference call)', async (ctx) => {
    const backend = await make();
    if (!(await backend.isAvailable())) {
      if (process.env.CI === 'true') throw new Error(`${name} is not available here, and CI=true requires it`);
      ctx.skip(`${name}: not available on this machine`);
    }
    await backend.init?.();
    const compared: string[] = [];
    for (const call of BAD_CALLS) {
      if (backend.kernels[call.kernel] === undefined) continue; // absent kernel: nothing to compare
      const want = (await thrown(referenceBackend, call)) as Error;
      const before = referenceKernelCalls(call.kernel);
      const got = await thrown(backend, call);
      expect(referenceKernelCalls(call.kernel), `${call.id}: ${name} called the reference kernel`).toBe(before);
      expect(got, `${call.id}: ${name} accepted a call the reference rejects (${want.message})`).toBeInstanceOf(Error);
      expect({
        id: call.id,
        class: (got as Error).constructor,
        name: (got as Error).name,
        message: (got as Error).message,
      }).toEqual({
        id: call.id,
        class: want.constructor,
        name: want.name,
        message: want.message,
      });
      compared.push(call.id);
    }
    expect(compared.length, `${name} implements no kernel of the bad calls`).toBeGreaterThan(0);
  }, 120_000);
});
