/**
 * GPU delta weight and merge / unmerge: ΔW = B·A, and W' = round_dtype(f32(W) ± ΔW) for f32, bf16 and f16 base
 * weights, tiled, split over as many buffers as the weight needs, optionally in place.
 * @module
 */
import {
  checkDeltaWeightArgs,
  checkMergeArgs,
  nonFiniteMergeError,
  type DeltaWeightArgs,
  type MergeArgs,
} from '@vblora/core';
import type { GpuContext } from '../runtime/gpu-context.js';
import type { GpuTensor } from '../runtime/gpu-tensor.js';
import type { GpuTensors } from '../runtime/gpu-tensors.js';
import { DELTA_MERGE_PARAMS, deltaMergeGroups, deltaMergeWgsl } from '../shaders/delta-merge.js';
import { packParams } from '../shaders/params.js';
import type { GpuFloat } from '../shaders/wgsl-half.js';

/** Arguments of `WebGpuRuntime.deltaWeight`. */
export type GpuDeltaWeightArgs = DeltaWeightArgs<GpuTensors>;

/** Arguments of `WebGpuRuntime.merge` / `unmerge`: core's {@link MergeArgs} on GPU tensors, plus `inPlace`. */
export interface GpuMergeArgs<D extends GpuFloat = GpuFloat> extends MergeArgs<D, GpuTensors> {
  /** Overwrite `weight` instead of returning a new tensor (PEFT merges in place). Default false. */
  readonly inPlace?: boolean;
}

/** The parameters every delta / merge dispatch sets the same way (one chunk = one segment, tBase 0). */
function common(P: number, Q: number, r: number, inF: number, rowBase: number, fif: boolean) {
  return { P, Q, r, inF, rowBase, tBase: 0, fif: fif ? 1 : 0 };
}

function pipeline(ctx: GpuContext, target: GpuFloat): Promise<GPUComputePipeline> {
  return ctx.pipeline(`delta-merge-${target}`, () => deltaMergeWgsl(target));
}

/** ΔW = B·A (out, in) on the GPU, or its transpose (in, out) with `fanInFanOut`. */
export async function gpuDeltaWeight(ctx: GpuContext, args: GpuDeltaWeightArgs): Promise<GpuTensor<'f32'>> {
  ctx.assertAlive();
  const { A, B, fanInFanOut = false } = args;
  ctx.own(A, 'A');
  ctx.own(B, 'B');
  const { r, inF, outF } = checkDeltaWeightArgs(args);
  const aBuf = A.single('A').buffer;
  const bBuf = B.single('B').buffer;
  const pl = await pipeline(ctx, 'f32');
  const out = ctx.empty('f32', fanInFanOut ? [inF, outF] : [outF, inF]);
  const Q = out.rowElems;
  const flag = ctx.empty('i32', [1]);
  const enc = ctx.encoder();
  for (const c of out.chunks) {
    const params = packParams(DELTA_MERGE_PARAMS, {
      ...common(c.rows, Q, r, inF, c.firstRow, fanInFanOut),
      negate: 0,
      safe: 0,
      flatBase: 0,
      merge: 0,
      pairs: 0,
    });
    enc.dispatch(pl, params, [aBuf, bBuf, c.buffer, flag.chunks[0]!.buffer], deltaMergeGroups(c.rows, Q));
  }
  enc.submit();
  flag.dispose();
  return out;
}

function mergeKernel(sign: 1 | -1) {
  const K = sign === 1 ? 'merge' : 'unmerge';
  return async <D extends GpuFloat>(ctx: GpuContext, args: GpuMergeArgs<D>): Promise<GpuTensor<D>> => {
    ctx.assertAlive();
    const { weight, A, B, fanInFanOut = false, safe = false, inPlace = false, adapter = 'default', module } = args;
    ctx.own(weight, 'weight');
    ctx.own(A, 'A');
    ctx.own(B, 'B');
    const { r, inF } = checkMergeArgs(args, K);
    const Q = weight.rowElems;
    const aBuf = A.single('A').buffer;
    const bBuf = B.single('B').buffer;
    const pl = await pipeline(ctx, weight.dtype as GpuFloat);
    // the kernel works in place; out of place (and safe mode, which must leave the weight untouched on failure,
    // like PEFT) first copies the weight
    const direct = inPlace && !safe;
    const target = direct ? weight : ctx.empty(weight.dtype, weight.shape);
    const flag = ctx.upload({ dtype: 'i32', shape: [1], data: Int32Array.of(-1) });
    const enc = ctx.encoder();
    if (!direct) weight.chunks.forEach((c, i) => enc.copy(c.buffer, 0, target.chunks[i]!.buffer, 0, c.bytes));
    for (const c of target.chunks) {
      const params = packParams(DELTA_MERGE_PARAMS, {
        ...common(c.rows, Q, r, inF, c.firstRow, fanInFanOut),
        negate: sign === 1 ? 0 : 1,
        safe: safe ? 1 : 0,
        flatBase: c.firstRow * Q,
        merge: 1,
        pairs: Q % 2 === 0 ? 1 : 0, // chunks start at row boundaries, so even rows keep words whole
      });
      enc.dispatch(pl, params, [aBuf, bBuf, c.buffer, flag.chunks[0]!.buffer], deltaMergeGroups(c.rows, Q));
    }
    enc.submit();
    if (safe) {
      const bad = new Uint32Array((await flag.read()).data.buffer)[0]!;
      if (bad !== 0xffffffff) {
        flag.dispose();
        target.dispose();
        throw nonFiniteMergeError(adapter, module, bad);
      }
      if (inPlace) {
        const copy = ctx.encoder();
        weight.chunks.forEach((c, i) => copy.copy(target.chunks[i]!.buffer, 0, c.buffer, 0, c.bytes));
        copy.submit();
        target.dispose();
      }
    }
    flag.dispose();
    return (inPlace ? weight : target) as GpuTensor<D>;
  };
}

/** Merges an adapter into a base weight on the GPU: round_dtype(f32(W) + B·A). */
export const gpuMerge = mergeKernel(1);
/** Removes a merged adapter on the GPU: round_dtype(f32(W) − B·A) (two roundings, as in PEFT). */
export const gpuUnmerge = mergeKernel(-1);
