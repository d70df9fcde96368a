/**
 * GPU delta weight and merge / unmerge: ΔW = B·A, and W' = round_dtype(f32(W) ± ΔW) for f32, bf16 and f16 base
 * weights, tiled, split over as many buffers as the weight needs, optionally in place.
 * @module
 */
import { formatShape, NumericalError, ShapeError } from '@vblora/core';
import type { GpuContext } from '../runtime/gpu-context.js';
import type { GpuTensor } from '../runtime/gpu-tensor.js';
import { deltaMergeGroups, deltaMergeKey, deltaMergeWgsl, type DeltaMergeMode } from '../shaders/delta-merge.js';
import type { GpuFloat } from '../shaders/wgsl-half.js';
import { lowRankDims, requireDType } from './validate.js';

/** Arguments of {@link gpuDeltaWeight}. */
export interface GpuDeltaWeightArgs {
  /** (r, in) float32. */
  readonly A: GpuTensor<'f32'>;
  /** (out, r) float32. */
  readonly B: GpuTensor<'f32'>;
  /** Output (in, out) instead of (out, in). */
  readonly fanInFanOut?: boolean;
}

/** Arguments of {@link gpuMerge} / {@link gpuUnmerge}. */
export interface GpuMergeArgs<D extends GpuFloat = GpuFloat> extends GpuDeltaWeightArgs {
  /** Base weight (out, in), or (in, out) with fanInFanOut. */
  readonly weight: GpuTensor<D>;
  /** PEFT's safe_merge: throw NumericalError (and leave the weight untouched) if any result is not finite. */
  readonly safe?: boolean;
  /** Overwrite `weight` instead of returning a new tensor (PEFT merges in place). Default false. */
  readonly inPlace?: boolean;
  /** Adapter name for the safe-mode message. */
  readonly adapter?: string;
  /** Module path for the safe-mode message. */
  readonly module?: string;
}

function pipelineFor(ctx: GpuContext, mode: DeltaMergeMode, fif: boolean): Promise<GPUComputePipeline> {
  return ctx.pipeline(deltaMergeKey(mode, fif), () => deltaMergeWgsl(mode, fif));
}

/** ΔW = B·A (out, in) on the GPU, or its transpose (in, out) with `fanInFanOut`. */
export async function gpuDeltaWeight(ctx: GpuContext, args: GpuDeltaWeightArgs): Promise<GpuTensor<'f32'>> {
  const K = 'deltaWeight';
  ctx.assertAlive();
  const { A, B, fanInFanOut = false } = args;
  ctx.own(A, 'A');
  ctx.own(B, 'B');
  const [r, inF, outF] = lowRankDims(A, B, K);
  const aBuf = A.single('A').buffer;
  const bBuf = B.single('B').buffer;
  const pipeline = await pipelineFor(ctx, { kind: 'delta' }, fanInFanOut);
  const out = ctx.empty('f32', fanInFanOut ? [inF, outF] : [outF, inF]);
  const Q = out.rowElems;
  const enc = ctx.encoder();
  for (const c of out.chunks) {
    const params = Uint32Array.of(c.rows, Q, r, inF, c.firstRow, 0, 0, 0, 0, 0);
    enc.dispatch(pipeline, params, [aBuf, bBuf, c.buffer], deltaMergeGroups(c.rows, Q));
  }
  enc.submit();
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
    requireDType(weight, ['f32', 'bf16', 'f16'], 'weight', K);
    const [r, inF, outF] = lowRankDims(A, B, K);
    const want = fanInFanOut ? [inF, outF] : [outF, inF];
    if (weight.shape.length !== 2 || weight.shape[0] !== want[0] || weight.shape[1] !== want[1]) {
      throw new ShapeError(
        `${K}: weight must have shape ${formatShape(want)} (${fanInFanOut ? 'in, out' : 'out, in'}) for A ` +
          `${formatShape(A.shape)} and B ${formatShape(B.shape)}, got ${formatShape(weight.shape)}`,
        'weight'
      );
    }
    const Q = weight.rowElems;
    const dtype = weight.dtype as GpuFloat;
    // safe + in place: merge into a copy first, so a failing check leaves the weight as it was (like PEFT)
    const direct = inPlace && !safe;
    const mode: DeltaMergeMode = { kind: 'merge', weight: dtype, inPlace: direct, atomic: dtype !== 'f32' && Q % 2 === 1 };
    const pipeline = await pipelineFor(ctx, mode, fanInFanOut);
    const aBuf = A.single('A').buffer;
    const bBuf = B.single('B').buffer;
    const out = direct ? weight : ctx.empty(weight.dtype, weight.shape);
    const flag = ctx.upload({ dtype: 'i32', shape: [1], data: Int32Array.of(-1) });
    const enc = ctx.encoder();
    weight.chunks.forEach((c, i) => {
      const params = Uint32Array.of(c.rows, Q, r, inF, c.firstRow, 0, 0, sign === 1 ? 0 : 1, safe ? 1 : 0, c.firstRow * Q);
      const outBuf = out.chunks[i]!.buffer;
      const bufs = direct ? [aBuf, bBuf, c.buffer, flag.chunks[0]!.buffer] : [aBuf, bBuf, c.buffer, outBuf, flag.chunks[0]!.buffer];
      enc.dispatch(pipeline, params, bufs, deltaMergeGroups(c.rows, Q));
    });
    enc.submit();
    if (safe) {
      const bad = new Uint32Array((await flag.read()).data.buffer)[0]!;
      flag.dispose();
      if (bad !== 0xffffffff) {
        out.dispose();
        const where = module === undefined ? '' : ` (module ${module}, first non-finite element at flat index ${bad})`;
        throw new NumericalError(`NaNs detected in the merged weights. The adapter ${adapter} seems to be broken${where}`, module);
      }
      if (inPlace) {
        const copy = ctx.encoder();
        weight.chunks.forEach((c, i) => copy.copy(out.chunks[i]!.buffer, 0, c.buffer, 0, c.bytes));
        copy.submit();
        out.dispose();
        return weight;
      }
    } else {
      flag.dispose();
    }
    return out as GpuTensor<D>;
  };
}

/** Merges an adapter into a base weight on the GPU: round_dtype(f32(W) + B·A). */
export const gpuMerge = mergeKernel(1);
/** Removes a merged adapter on the GPU: round_dtype(f32(W) − B·A) (two roundings, as in PEFT). */
export const gpuUnmerge = mergeKernel(-1);
