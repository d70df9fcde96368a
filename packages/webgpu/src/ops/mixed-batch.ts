/**
 * GPU mixed-batch forward: one batch, a different adapter per row (several users' adapters served together), in
 * the spirit of Punica's SGMV/BGMV — every row gathers its own adapter's A and B from one packed set.
 * @module
 */
import {
  checkLowRankPair,
  checkMixedBatchForwardArgs,
  formatShape,
  IndexRangeError,
  ShapeError,
  type LowRankAdapter,
  type MixedBatchForwardArgs,
} from '@vblora/core';
import type { GpuContext } from '../runtime/gpu-context.js';
import type { GpuTensor } from '../runtime/gpu-tensor.js';
import type { GpuTensors } from '../runtime/gpu-tensors.js';
import type { GpuFloat } from '../shaders/wgsl-half.js';
import { recordDown, recordUp, type PackedAdapters } from './adapter-passes.js';

/** One adapter on the GPU: composed A (r, in) and B (out, r); ranks may differ between adapters. */
export type GpuLowRankAdapter = LowRankAdapter<GpuTensors>;

/**
 * Adapters packed for mixed batches: all A's in one buffer, all B's in another. Pack once with
 * `WebGpuRuntime.packAdapters` and reuse it for every batch; `dispose()` frees it.
 */
export class GpuAdapterSet {
  /** Number of adapters. */
  readonly count: number;
  /** Input features shared by every adapter. */
  readonly inFeatures: number;
  /** Output features shared by every adapter. */
  readonly outFeatures: number;
  /** Largest rank. */
  readonly rMax: number;

  /** @internal Use `WebGpuRuntime.packAdapters`. */
  constructor(
    /** @internal */
    readonly owner: GpuContext,
    private readonly tensors: { A: GpuTensor<'f32'>; B: GpuTensor<'f32'>; meta: GpuTensor<'i32'> },
    dims: { count: number; inF: number; outF: number; rMax: number },
  ) {
    this.count = dims.count;
    this.inFeatures = dims.inF;
    this.outFeatures = dims.outF;
    this.rMax = dims.rMax;
  }

  /** @internal The buffers in the kernels' layout. */
  packed(rowAdapter: GPUBuffer): PackedAdapters {
    const { A, B, meta } = this.tensors;
    return {
      A: A.single('packed A').buffer,
      B: B.single('packed B').buffer,
      meta: meta.single('adapter table').buffer,
      rMax: this.rMax,
      single: false,
      rowAdapter,
    };
  }

  /** Frees the packed buffers (the adapters it was packed from are not affected). */
  dispose(): void {
    this.tensors.A.dispose();
    this.tensors.B.dispose();
    this.tensors.meta.dispose();
  }
}

/** Packs adapters (same in/out features, any ranks) into one {@link GpuAdapterSet}, copying on the GPU. */
export function gpuPackAdapters(ctx: GpuContext, adapters: readonly GpuLowRankAdapter[]): GpuAdapterSet {
  const K = 'mixedBatchForward';
  ctx.assertAlive();
  if (adapters.length === 0) throw new ShapeError(`${K}: at least one adapter is needed`, 'adapters');
  const dims = adapters.map((a, j) => {
    ctx.own(a.A, `adapters[${j}].A`);
    ctx.own(a.B, `adapters[${j}].B`);
    try {
      const d = checkLowRankPair(a.A, a.B, K);
      return [d.r, d.inF, d.outF] as const;
    } catch (e) {
      if (e instanceof ShapeError) throw e.withContext(` (adapter ${j})`, `adapters[${j}]`);
      throw e;
    }
  });
  const [, inF, outF] = dims[0]!;
  dims.forEach(([, i, o], j) => {
    if (i !== inF || o !== outF) {
      throw new ShapeError(
        `${K}: adapter ${j} maps ${i} → ${o} features, adapter 0 maps ${inF} → ${outF}`,
        `adapters[${j}]`,
      );
    }
  });
  const totalR = dims.reduce((s, [r]) => s + r, 0);
  const A = ctx.empty('f32', [totalR * inF]);
  const B = ctx.empty('f32', [totalR * outF]);
  const table = new Int32Array(adapters.length * 3);
  const enc = ctx.encoder();
  let aOff = 0;
  let bOff = 0;
  adapters.forEach((a, j) => {
    const r = dims[j]![0];
    table.set([r, aOff, bOff], j * 3);
    enc.copy(a.A.single('A').buffer, 0, A.single('packed A').buffer, aOff * 4, r * inF * 4);
    enc.copy(a.B.single('B').buffer, 0, B.single('packed B').buffer, bOff * 4, r * outF * 4);
    aOff += r * inF;
    bOff += r * outF;
  });
  enc.submit();
  const meta = ctx.upload({ dtype: 'i32', shape: [table.length], data: table });
  const rMax = Math.max(...dims.map(([r]) => r));
  return new GpuAdapterSet(ctx, { A, B, meta }, { count: adapters.length, inF, outF, rMax });
}

/**
 * Arguments of `WebGpuRuntime.mixedBatchForward`: core's {@link MixedBatchForwardArgs} on GPU tensors, where the
 * adapters may also be a set packed once with `packAdapters`.
 */
export interface GpuMixedBatchForwardArgs<D extends GpuFloat = GpuFloat> extends Omit<
  MixedBatchForwardArgs<D, GpuTensors>,
  'adapters'
> {
  /** A packed set, or adapters to pack for this call only. */
  readonly adapters: GpuAdapterSet | readonly GpuLowRankAdapter[];
}

/** Adapter forward with a different adapter per batch row, on the GPU (no dropout: inference). */
export async function gpuMixedBatchForward<D extends GpuFloat>(
  ctx: GpuContext,
  args: GpuMixedBatchForwardArgs<D>,
): Promise<GpuTensor<D>> {
  const K = 'mixedBatchForward';
  ctx.assertAlive();
  const { x, baseOut, rowAdapter } = args;
  ctx.own(x, 'x');
  ctx.own(baseOut, 'baseOut');
  if (args.adapters instanceof GpuAdapterSet) {
    // the contract's checks of x, baseOut and the row count; adapter numbers are checked against the set below
    checkMixedBatchForwardArgs({ x, baseOut, adapters: [], rowAdapter: new Int32Array(rowAdapter.length).fill(-1) });
  } else {
    args.adapters.forEach((a, j) => {
      ctx.own(a.A, `adapters[${j}].A`);
      ctx.own(a.B, `adapters[${j}].B`);
    });
    checkMixedBatchForwardArgs({ x, baseOut, adapters: args.adapters, rowAdapter }); // the contract's checks
  }
  const [n, inF] = x.shape as [number, number];
  // no adapters (every row −1, checked above): the contract's answer is baseOut in x's dtype; a zero stand-in
  // adapter that no row selects gives exactly that through the same passes
  const standIn =
    !(args.adapters instanceof GpuAdapterSet) && args.adapters.length === 0
      ? [
          {
            A: ctx.upload({ dtype: 'f32', shape: [1, inF], data: new Float32Array(inF) }),
            B: ctx.upload({ dtype: 'f32', shape: [baseOut.shape[1]!, 1], data: new Float32Array(baseOut.shape[1]!) }),
          },
        ]
      : null;
  const set = args.adapters instanceof GpuAdapterSet ? args.adapters : gpuPackAdapters(ctx, standIn ?? args.adapters);
  try {
    if (set.owner !== ctx) throw new ShapeError(`${K}: the adapter set was packed by another runtime`, 'adapters');
    if (set.inFeatures !== inF || set.outFeatures !== baseOut.shape[1]) {
      throw new ShapeError(
        `${K}: adapters map ${set.inFeatures} → ${set.outFeatures} features, but x ${formatShape(x.shape)} and ` +
          `baseOut ${formatShape(baseOut.shape)} need ${inF} → ${baseOut.shape[1]}`,
        'adapters',
      );
    }
    rowAdapter.forEach((a, row) => {
      if (!Number.isInteger(a) || a < -1 || a >= set.count) {
        throw new IndexRangeError(
          `${K}: rowAdapter[${row}] = ${a} is not an adapter number (expected −1 or 0..${set.count - 1})`,
          'rowAdapter',
        );
      }
    });
    const rows = ctx.upload({ dtype: 'i32', shape: [Math.max(1, n)], data: n === 0 ? Int32Array.of(-1) : rowAdapter });
    const packed = set.packed(rows.single('rowAdapter').buffer);
    const enc = ctx.encoder();
    const { h, temps } = await recordDown(ctx, enc, x, packed, undefined);
    const y = ctx.empty(x.dtype, baseOut.shape) as GpuTensor<D>;
    await recordUp(ctx, enc, baseOut, h, packed, y);
    enc.submit();
    for (const t of [...temps, rows]) t.dispose();
    return y;
  } finally {
    if (!(args.adapters instanceof GpuAdapterSet)) set.dispose();
    for (const a of standIn ?? []) {
      a.A.dispose();
      a.B.dispose();
    }
  }
}
