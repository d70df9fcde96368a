/**
 * Backends with one deliberate bug each, for the kit's own tests of its case kinds: core's CPU backend (bit-identical
 * to the reference, and not the reference, so no silent-fallback alarm) wrapped, plus three small kernels the CPU
 * backend lacks (deltaWeight, topkWeightsForSave, logitsFromTopk) written here in plain loops. With no bug, every
 * backend built here passes every case of its kernels.
 */
import {
  bf16BitsToF32,
  checkKernelArgs,
  defineBackend,
  f16BitsToF32,
  fromF32,
  safeTopkWeights,
  storeTopkWeights,
  tensor,
  toF32,
  type Backend,
  type HostTensor,
  type KernelSet,
  type WeightDType,
} from '@vblora/core';
import { createCpuBackend } from '@vblora/cpu';

type Args<K extends keyof KernelSet> = Parameters<KernelSet[K]>[0];

const cpu = createCpuBackend();
type CpuKernel =
  | 'topkAdmixture'
  | 'admixFromTopk'
  | 'composeLowRank'
  | 'merge'
  | 'unmerge'
  | 'linear'
  | 'adapterForward'
  | 'mixedBatchForward';
/** The CPU backend's kernels, synchronous once its module is compiled (every test runs them after `init`). */
export const cpuKernels = cpu.kernels as unknown as {
  readonly [K in CpuKernel]: (args: Args<K>) => Awaited<ReturnType<KernelSet[K]>>;
};

/** Kernels as the tests write them: each takes its kernel's arguments and returns (a Promise of) anything. */
export type LooseKernels = { readonly [K in keyof KernelSet]?: (args: Args<K>) => unknown };

/** A backend of the given kernels, computing in `precision` (results are judged by the kit, not by the type checker). */
export function backendOf(name: string, kernels: LooseKernels, precision: 'f32' | 'bf16' | 'f16' = 'f32'): Backend {
  return defineBackend({
    name,
    precision,
    isAvailable: () => true,
    init: () => cpu.init?.(),
    kernels: kernels as Partial<KernelSet>,
  });
}

/** ΔW = B·A in float32, products summed from 0 in r order (the contract's order). */
export function plainDeltaWeight(args: Args<'deltaWeight'>): HostTensor<'f32'> {
  const { r, inF, outF } = checkKernelArgs('deltaWeight', args);
  const fan = args.fanInFanOut === true;
  const out = new Float32Array(outF * inF);
  for (let o = 0; o < outF; o++) {
    for (let i = 0; i < inF; i++) {
      let acc = 0;
      for (let j = 0; j < r; j++)
        acc = Math.fround(acc + Math.fround(args.B.data[o * r + j]! * args.A.data[j * inF + i]!));
      out[fan ? i * outF + o : o * inF + i] = acc;
    }
  }
  return tensor('f32', fan ? [inF, outF] : [outF, inF], out);
}

/** topkWeightsForSave from the CPU backend's top-k weights; `adjust: false` stores them without the NaN-safety nudge. */
export async function plainTopkWeightsForSave(args: Args<'topkWeightsForSave'>, adjust = true) {
  const { nv, k, rows, lead } = checkKernelArgs('topkWeightsForSave', args);
  const { indices, weights } = await cpuKernels.topkAdmixture({
    logits: args.logits,
    bank: tensor('f32', [nv, 1], new Float32Array(nv)),
    k,
  });
  const { stored, nudgedRows } = storeTopkWeights(weights.data, rows, k);
  if (!adjust) {
    for (let row = 0; row < rows; row++) stored.set(weights.data.subarray(row * k, row * k + k - 1), row * (k - 1));
  }
  return { indices, weightsKm1: tensor('f32', [...lead, k - 1], stored), nudgedRows: adjust ? nudgedRows : [] };
}

/** logitsFromTopk: PEFT's reload (the later write wins on a duplicate index); `honourSafe: false` ignores `safe`. */
export function plainLogitsFromTopk(args: Args<'logitsFromTopk'>, honourSafe = true): HostTensor<'f32'> {
  const safe = honourSafe && args.safe === true;
  const { nv, k, rows, lead, indices } = checkKernelArgs('logitsFromTopk', { ...args, safe });
  const m = k - 1;
  const w = safe
    ? safeTopkWeights({ weightsKm1: args.weightsKm1 }).weights.data
    : Float32Array.from({ length: rows * k }, (_, i) => {
        const row = Math.floor(i / k);
        const j = i % k;
        if (j < m) return args.weightsKm1.data[row * m + j]!;
        let s = 0;
        for (let q = 0; q < m; q++) s = Math.fround(s + args.weightsKm1.data[row * m + q]!);
        return Math.fround(1 - s);
      });
  const out = new Float32Array(rows * nv).fill(-Infinity);
  for (let i = 0; i < rows * k; i++) out[Math.floor(i / k) * nv + indices[i]!] = Math.fround(Math.log(w[i]!));
  return tensor('f32', [...lead, nv], out);
}

/** Rounds float32 `x` to bf16/f16 with ties away from zero (the classic `+ half ulp, truncate` mistake). */
export function roundHalfAway(x: number, dtype: 'bf16' | 'f16'): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  if (dtype === 'bf16') {
    u[0] = (u[0]! + 0x8000) & 0xffff0000;
    return f[0]!;
  }
  // f16 in its normal range (the inputs that use this): 13 bits dropped
  u[0] = (u[0]! + 0x1000) & 0xffffe000;
  return f[0]!;
}

/** Merge that rounds bf16/f16 results half away from zero instead of to even. */
export function mergeHalfAway(args: Args<'merge'>): HostTensor<WeightDType> {
  const w = args.weight as HostTensor<WeightDType>;
  const sum = cpuKernels.merge({ ...args, weight: toF32(w) }) as HostTensor<'f32'>;
  if (w.dtype === 'f32') return sum;
  const dtype = w.dtype;
  return fromF32(
    tensor(
      'f32',
      sum.shape,
      sum.data.map((v) => roundHalfAway(v, dtype)),
    ),
    dtype,
  );
}

/** The value of one bf16/f16 bit pattern. */
export function halfValue(bits: number, dtype: 'bf16' | 'f16'): number {
  return dtype === 'bf16' ? bf16BitsToF32(bits) : f16BitsToF32(bits);
}
