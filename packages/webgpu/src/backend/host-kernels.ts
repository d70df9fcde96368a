/**
 * The backend contract's kernels on host tensors: check the arguments with core's kernel checks (the reference's
 * errors, before anything is uploaded), upload them, run the GPU kernel, read the results back, and release every
 * GPU buffer whatever happens (the conformance kit calls each kernel many times).
 * @internal
 * @module
 */
import {
  checkKernelArgs,
  isTopk,
  tensor,
  type AdapterForwardArgs,
  type AdmixFromTopkArgs,
  type AdmixtureBackwardArgs,
  type ComposeBackwardArgs,
  type ComposeLowRankArgs,
  type DeltaWeightArgs,
  type HostTensor,
  type KernelSet,
  type LinearArgs,
  type LogitsSource,
  type MergeArgs,
  type MixedBatchForwardArgs,
  type TopkAdmixtureArgs,
  type WeightDType,
} from '@vblora/core';
import type { GpuLogitsSource } from '../ops/compose.js';
import type { GpuTensor } from '../runtime/gpu-tensor.js';
import type { GpuDType } from '../shaders/wgsl-half.js';
import type { WebGpuRuntime } from '../webgpu-runtime.js';

/** Uploads arguments and remembers every GPU tensor of one call, to dispose them all at the end. */
class CallScope {
  private readonly tensors: GpuTensor[] = [];
  constructor(readonly rt: WebGpuRuntime) {}

  up<D extends GpuDType>(t: HostTensor<D>, arg: string): GpuTensor<D> {
    return this.keep(this.rt.upload(t, arg));
  }

  keep<T extends GpuTensor>(t: T): T {
    this.tensors.push(t);
    return t;
  }

  async read<D extends GpuDType>(t: GpuTensor<D>): Promise<HostTensor<D>> {
    this.keep(t);
    return t.read();
  }

  dispose(): void {
    for (const t of this.tensors) t.dispose();
  }
}

/** Runs `fn` in a scope on the backend's current runtime. */
export type WithRuntime = <T>(fn: (s: CallScope) => Promise<T>) => Promise<T>;

/** Wraps a runtime getter so that every call disposes its GPU tensors. */
export function scoped(runtime: () => Promise<WebGpuRuntime>): WithRuntime {
  return async (fn) => {
    const s = new CallScope(await runtime());
    try {
      return await fn(s);
    } finally {
      s.dispose();
    }
  };
}

/** Uploads a checked logits source; a top-k form's indices as the int32 that core's check read. */
function logitsSource(s: CallScope, src: LogitsSource, indices: Int32Array | undefined, arg: string): GpuLogitsSource {
  if (isTopk(src)) {
    return {
      indices: s.up(tensor('i32', src.indices.shape, indices!), `${arg}.indices`),
      weights: s.up(src.weights, `${arg}.weights`),
    };
  }
  return s.up(src, arg);
}

/** The kernels of the backend contract, on whatever runtime `run` provides. */
export function hostKernels(run: WithRuntime): Partial<KernelSet> {
  return {
    topkAdmixture: (a: TopkAdmixtureArgs) =>
      run(async (s) => {
        checkKernelArgs('topkAdmixture', a);
        const r = await s.rt.topkAdmixture({ logits: s.up(a.logits, 'logits'), bank: s.up(a.bank, 'bank'), k: a.k });
        return { indices: await s.read(r.indices), weights: await s.read(r.weights), vectors: await s.read(r.vectors) };
      }),
    admixFromTopk: (a: AdmixFromTopkArgs) =>
      run(async (s) => {
        const checked = checkKernelArgs('admixFromTopk', a);
        const indices = s.up(tensor('i32', a.indices.shape, checked.indices), 'indices');
        return s.read(
          await s.rt.admixFromTopk({ indices, weights: s.up(a.weights, 'weights'), bank: s.up(a.bank, 'bank') }),
        );
      }),
    composeLowRank: (a: ComposeLowRankArgs) =>
      run(async (s) => {
        const { indicesA, indicesB } = checkKernelArgs('composeLowRank', a);
        const logitsA = logitsSource(s, a.logitsA, indicesA, 'logitsA');
        const logitsB = logitsSource(s, a.logitsB, indicesB, 'logitsB');
        const r = await s.rt.composeLowRank({ logitsA, logitsB, bank: s.up(a.bank, 'bank'), k: a.k });
        return { A: await s.read(r.A), B: await s.read(r.B) };
      }),
    deltaWeight: (a: DeltaWeightArgs) =>
      run(async (s) => {
        checkKernelArgs('deltaWeight', a);
        return s.read(
          await s.rt.deltaWeight({ A: s.up(a.A, 'A'), B: s.up(a.B, 'B'), fanInFanOut: a.fanInFanOut ?? false }),
        );
      }),
    merge: <D extends WeightDType>(a: MergeArgs<D>) => run((s) => mergeCall(s, a, 1)),
    unmerge: <D extends WeightDType>(a: MergeArgs<D>) => run((s) => mergeCall(s, a, -1)),
    linear: <D extends WeightDType>(a: LinearArgs<D>) =>
      run(async (s) => {
        checkKernelArgs('linear', a);
        const bias = a.bias === undefined ? {} : { bias: s.up(a.bias, 'bias') };
        const y = await s.rt.linear({
          x: s.up(a.x, 'x'),
          weight: s.up(a.weight, 'weight'),
          ...bias,
          fanInFanOut: a.fanInFanOut ?? false,
        });
        return s.read(y);
      }),
    adapterForward: <D extends WeightDType>(a: AdapterForwardArgs<D>) =>
      run(async (s) => {
        checkKernelArgs('adapterForward', a);
        const dropout = a.dropout === undefined ? {} : { dropout: a.dropout };
        const y = await s.rt.adapterForward({
          x: s.up(a.x, 'x'),
          baseOut: s.up(a.baseOut, 'baseOut'),
          A: s.up(a.A, 'A'),
          B: s.up(a.B, 'B'),
          ...dropout,
        });
        return s.read(y);
      }),
    mixedBatchForward: <D extends WeightDType>(a: MixedBatchForwardArgs<D>) =>
      run(async (s) => {
        checkKernelArgs('mixedBatchForward', a);
        const adapters = a.adapters.map((ad, j) => ({
          A: s.up(ad.A, `adapters[${j}].A`),
          B: s.up(ad.B, `adapters[${j}].B`),
        }));
        const y = await s.rt.mixedBatchForward({
          x: s.up(a.x, 'x'),
          baseOut: s.up(a.baseOut, 'baseOut'),
          adapters,
          rowAdapter: a.rowAdapter,
        });
        return s.read(y);
      }),
    admixtureBackward: (a: AdmixtureBackwardArgs) =>
      run(async (s) => {
        checkKernelArgs('admixtureBackward', a);
        const r = await s.rt.admixtureBackward({
          logits: s.up(a.logits, 'logits'),
          bank: s.up(a.bank, 'bank'),
          k: a.k,
          gradVectors: s.up(a.gradVectors, 'gradVectors'),
        });
        return { gradLogits: await s.read(r.gradLogits), gradBank: await s.read(r.gradBank) };
      }),
    composeBackward: (a: ComposeBackwardArgs) =>
      run(async (s) => {
        checkKernelArgs('composeBackward', a);
        const r = await s.rt.composeBackward({
          logitsA: s.up(a.logitsA, 'logitsA'),
          logitsB: s.up(a.logitsB, 'logitsB'),
          bank: s.up(a.bank, 'bank'),
          k: a.k,
          gradA: s.up(a.gradA, 'gradA'),
          gradB: s.up(a.gradB, 'gradB'),
        });
        return {
          gradLogitsA: await s.read(r.gradLogitsA),
          gradLogitsB: await s.read(r.gradLogitsB),
          gradBank: await s.read(r.gradBank),
        };
      }),
  } satisfies Partial<KernelSet>;
}

/** merge / unmerge: the uploaded weight is this call's own copy, so the GPU merges it in place. */
async function mergeCall<D extends WeightDType>(s: CallScope, a: MergeArgs<D>, sign: 1 | -1): Promise<HostTensor<D>> {
  checkKernelArgs(sign === 1 ? 'merge' : 'unmerge', a);
  const args = {
    weight: s.up(a.weight, 'weight'),
    A: s.up(a.A, 'A'),
    B: s.up(a.B, 'B'),
    fanInFanOut: a.fanInFanOut ?? false,
    safe: a.safe ?? false,
    inPlace: true,
    ...(a.adapter === undefined ? {} : { adapter: a.adapter }),
    ...(a.module === undefined ? {} : { module: a.module }),
  };
  const out = await (sign === 1 ? s.rt.merge(args) : s.rt.unmerge(args));
  return s.read(out) as Promise<HostTensor<D>>;
}
