/**
 * The two adapter passes shared by `adapterForward`, the fused linear + adapter and `mixedBatchForward`:
 * the down projection h = drop(x)·A_aᵀ and the up projection y = round_x(baseOut + h·B_aᵀ).
 * @internal
 * @module
 */
import { dropoutMask, UnsupportedError, type DropoutSpec } from '@vblora/core';
import { rowSegments } from '../runtime/chunk-plan.js';
import type { Encoder } from '../runtime/encoder.js';
import type { GpuContext } from '../runtime/gpu-context.js';
import type { GpuTensor } from '../runtime/gpu-tensor.js';
import { ADAPTER_DOWN_PARAMS, ADAPTER_DOWN_WG, adapterDownWgsl } from '../shaders/adapter-down.js';
import { ADAPTER_UP_PARAMS, ADAPTER_UP_WG, adapterUpWgsl } from '../shaders/adapter-up.js';
import { packParams } from '../shaders/params.js';
import type { GpuFloat } from '../shaders/wgsl-half.js';

/** Adapters laid out for the kernels: all A's and all B's concatenated, with (r, aOff, bOff) per adapter. */
export interface PackedAdapters {
  readonly A: GPUBuffer;
  readonly B: GPUBuffer;
  readonly meta: GPUBuffer;
  /** Largest rank: the row length of h. */
  readonly rMax: number;
  /** True when every row uses adapter 0 (no per-row lookup). */
  readonly single: boolean;
  /** (n) adapter per row as a GPU buffer (−1 = none), when not single. */
  readonly rowAdapter: GPUBuffer | undefined;
}

function f32Bits(x: number): number {
  return new Uint32Array(Float32Array.of(x).buffer)[0]!;
}

/** Packs the keep mask of `dropoutMask` into 32-bit words (bit f of word f/32). */
function maskWords(n: number, spec: DropoutSpec): Int32Array {
  const mask = dropoutMask(n, spec.p, spec.seed);
  const words = new Int32Array(Math.max(1, Math.ceil(n / 32)));
  for (let f = 0; f < n; f++) if (mask[f] === 1) words[f >> 5] = words[f >> 5]! | (1 << (f & 31));
  return words;
}

/** Records h (rows, rMax) = drop(x)·A_aᵀ; returns h, to be disposed by the caller after submit. */
export async function recordDown(
  ctx: GpuContext,
  enc: Encoder,
  x: GpuTensor,
  adapters: PackedAdapters,
  dropout: DropoutSpec | undefined,
): Promise<{ h: GpuTensor<'f32'>; temps: GpuTensor[] }> {
  const xdt = x.dtype as GpuFloat;
  const pipeline = await ctx.pipeline(`adapter-down-${xdt}`, () => adapterDownWgsl(xdt));
  const { rMax } = adapters;
  const inF = x.rowElems;
  if (x.rows * rMax * 4 > ctx.maxBindingBytes) {
    throw new UnsupportedError(
      `the adapter's hidden activations (${x.rows} rows × rank ${rMax}) exceed one storage binding ` +
        `(${ctx.maxBindingBytes} bytes); run the batch in smaller pieces`,
    );
  }
  const h = ctx.empty('f32', [x.rows, rMax]);
  const hBuf = h.single('h (rows × rank)').buffer;
  const temps: GpuTensor[] = [h];
  let maskBuf = ctx.dummy();
  if (dropout !== undefined) {
    const mask = ctx.upload({
      dtype: 'i32',
      shape: [Math.max(1, Math.ceil((x.rows * inF) / 32))],
      data: maskWords(x.rows * inF, dropout),
    });
    temps.push(mask);
    maskBuf = mask.single('dropout mask').buffer;
  }
  const scale = dropout === undefined ? 1 : Math.fround(1 / Math.fround(1 - dropout.p));
  for (const c of x.chunks) {
    const params = packParams(ADAPTER_DOWN_PARAMS, {
      rows: c.rows,
      rMax,
      inF,
      xBase: 0, // segments are x's chunks
      rowStart: c.firstRow,
      single: adapters.single ? 1 : 0,
      dropout: dropout === undefined ? 0 : 1,
      scaleBits: f32Bits(scale),
    });
    const bufs = [c.buffer, adapters.A, adapters.meta, adapters.rowAdapter ?? ctx.dummy(), maskBuf, hBuf];
    enc.dispatch(pipeline, params, bufs, Math.ceil((c.rows * rMax) / ADAPTER_DOWN_WG));
  }
  return { h, temps };
}

/** Records y = round_ydtype(baseOut + h·B_aᵀ) into `y` (same shape as baseOut, dtype of x). */
export async function recordUp(
  ctx: GpuContext,
  enc: Encoder,
  baseOut: GpuTensor,
  h: GpuTensor<'f32'>,
  adapters: PackedAdapters,
  y: GpuTensor,
): Promise<void> {
  const dts = [y.dtype, baseOut.dtype] as [GpuFloat, GpuFloat];
  const pipeline = await ctx.pipeline(`adapter-up-${dts.join('-')}`, () => adapterUpWgsl(...dts));
  const outF = y.rowElems;
  const hBuf = h.single('h').buffer;
  for (const s of rowSegments(y.rows, [baseOut.chunks, y.chunks])) {
    const [pb, py] = s.parts as [(typeof s.parts)[0], (typeof s.parts)[0]];
    const count = s.rows * outF;
    const yBase = py.rowInChunk * outF;
    if (count === 0) continue;
    const words = y.dtype === 'f32' ? count : ((yBase + count - 1) >> 1) - (yBase >> 1) + 1;
    const params = packParams(ADAPTER_UP_PARAMS, {
      count,
      outF,
      rMax: adapters.rMax,
      yBase,
      baseBase: pb.rowInChunk * outF,
      rowStart: s.start,
      single: adapters.single ? 1 : 0,
      words,
    });
    const bufs = [
      baseOut.chunks[pb.chunk]!.buffer,
      hBuf,
      adapters.B,
      adapters.meta,
      adapters.rowAdapter ?? ctx.dummy(),
      y.chunks[py.chunk]!.buffer,
    ];
    enc.dispatch(pipeline, params, bufs, Math.ceil(words / ADAPTER_UP_WG));
  }
}
