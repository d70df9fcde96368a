/**
 * GPU forward passes: the base `linear` layer, the unmerged `adapterForward` (y = baseOut + (drop(x)·Aᵀ)·Bᵀ), and
 * both fused (`linearWithAdapter`: one tiled pass computes x·Wᵀ + b and adds the adapter term).
 * @module
 */
import {
  checkAdapterForwardArgs,
  checkLinearArgs,
  checkLowRankPair,
  formatShape,
  ShapeError,
  UnsupportedError,
  type AdapterForwardArgs,
  type DropoutSpec,
  type LinearArgs,
  type LowRankPair,
} from '@vblora/core';
import { rowSegments } from '../runtime/chunk-plan.js';
import type { GpuContext } from '../runtime/gpu-context.js';
import type { GpuTensor } from '../runtime/gpu-tensor.js';
import type { GpuTensors } from '../runtime/gpu-tensors.js';
import {
  LINEAR_PARAMS,
  LINEAR_TILED_MIN_ROWS,
  linearGroups,
  linearWgsl,
  type LinearFlavour,
} from '../shaders/linear.js';
import { packParams } from '../shaders/params.js';
import type { GpuFloat } from '../shaders/wgsl-half.js';
import { recordDown, recordUp, type PackedAdapters } from './adapter-passes.js';

/** Arguments of `WebGpuRuntime.linear`: core's {@link LinearArgs} on GPU tensors. */
export type GpuLinearArgs<D extends GpuFloat = GpuFloat> = LinearArgs<D, GpuTensors>;

/** Arguments of `WebGpuRuntime.adapterForward`: core's {@link AdapterForwardArgs} on GPU tensors. */
export type GpuAdapterForwardArgs<D extends GpuFloat = GpuFloat> = AdapterForwardArgs<D, GpuTensors>;

/** Arguments of `WebGpuRuntime.linearWithAdapter`: the linear layer's and the adapter's, in one call. */
export interface GpuLinearWithAdapterArgs<D extends GpuFloat = GpuFloat>
  extends LinearArgs<D, GpuTensors>, LowRankPair<GpuTensors> {
  /** Training-mode dropout on the adapter input (the reference's mask). */
  readonly dropout?: DropoutSpec;
}

/** Checks x / weight / bias (core's linear check under the name `kernel`) and returns [in, out]. */
function linearDims(ctx: GpuContext, args: GpuLinearArgs, kernel: string): [number, number] {
  ctx.own(args.x, 'x');
  ctx.own(args.weight, 'weight');
  if (args.bias !== undefined) ctx.own(args.bias, 'bias');
  const { inF, outF } = checkLinearArgs(args, kernel);
  return [inF, outF];
}

/** The fused kernel's adapter: A and B fit x (core's low-rank check) and B's out matches the weight's. */
function fusedAdapterDims(ctx: GpuContext, args: GpuLinearWithAdapterArgs, outF: number, K: string): number {
  ctx.own(args.A, 'A');
  ctx.own(args.B, 'B');
  const d = checkLowRankPair(args.A, args.B, K);
  if (d.inF !== args.x.rowElems) {
    throw new ShapeError(
      `${K}: x ${formatShape(args.x.shape)} must end in in = ${d.inF} (from A ${formatShape(args.A.shape)})`,
      'x',
    );
  }
  if (d.outF !== outF) {
    throw new ShapeError(`${K}: B ${formatShape(args.B.shape)} must have out = ${outF} rows (from weight)`, 'B');
  }
  return d.r;
}

/** A single adapter in the packed layout (meta uploaded as a temporary). */
function single(
  ctx: GpuContext,
  A: GpuTensor<'f32'>,
  B: GpuTensor<'f32'>,
  r: number,
): { packed: PackedAdapters; meta: GpuTensor } {
  const a = A.single('A').buffer;
  const b = B.single('B').buffer;
  const meta = ctx.upload({ dtype: 'i32', shape: [3], data: Int32Array.of(r, 0, 0) });
  const packed = {
    A: a,
    B: b,
    meta: meta.chunks[0]!.buffer,
    rMax: r,
    single: true,
    rowAdapter: undefined,
  };
  return { packed, meta };
}

/** Unmerged adapter forward on the GPU: y = round_x(baseOut + (drop(x)·Aᵀ)·Bᵀ), y in x's dtype. */
export async function gpuAdapterForward<D extends GpuFloat>(
  ctx: GpuContext,
  args: GpuAdapterForwardArgs<D>,
): Promise<GpuTensor<D>> {
  ctx.assertAlive();
  const { x, baseOut, A, B, dropout } = args;
  for (const [t, arg] of [
    [x, 'x'],
    [baseOut, 'baseOut'],
    [A, 'A'],
    [B, 'B'],
  ] as const) {
    ctx.own(t, arg);
  }
  const { r } = checkAdapterForwardArgs(args);
  const { packed, meta } = single(ctx, A, B, r);
  const enc = ctx.encoder();
  const { h, temps } = await recordDown(ctx, enc, x, packed, dropout);
  const y = ctx.empty(x.dtype, baseOut.shape) as GpuTensor<D>;
  await recordUp(ctx, enc, baseOut, h, packed, y);
  enc.submit();
  for (const t of [...temps, meta]) t.dispose();
  return y;
}

/** Records the tiled linear pass into a new y; `fused` adds h·Bᵀ of a single adapter. */
async function runLinear<D extends GpuFloat>(
  ctx: GpuContext,
  args: GpuLinearArgs<D>,
  dims: [number, number],
  fused: { A: GpuTensor<'f32'>; B: GpuTensor<'f32'>; r: number; dropout: DropoutSpec | undefined } | undefined,
): Promise<GpuTensor<D>> {
  const { x, weight, bias, fanInFanOut = false } = args;
  const [inF, outF] = dims;
  if (fanInFanOut && weight.chunks.length > 1) {
    throw new UnsupportedError(
      `linear: a fan_in_fan_out weight ${formatShape(weight.shape)} over the binding limit cannot be split (its rows ` +
        'are the summed dimension); transpose it to (out, in) first',
    );
  }
  const biasBuf = bias === undefined ? ctx.dummy() : bias.single('bias').buffer;

  const enc = ctx.encoder();
  const temps: GpuTensor[] = [];
  let hBuf = ctx.dummy();
  let bBuf = ctx.dummy();
  if (fused !== undefined) {
    const { packed, meta } = single(ctx, fused.A, fused.B, fused.r);
    const down = await recordDown(ctx, enc, x, packed, fused.dropout);
    temps.push(meta, ...down.temps);
    hBuf = down.h.single('h').buffer;
    bBuf = packed.B;
  }
  const y = ctx.empty(x.dtype, [...x.shape.slice(0, -1), outF]) as GpuTensor<D>;
  const wSegs = fanInFanOut
    ? [{ firstRow: 0, rows: outF, chunk: 0 }]
    : weight.chunks.map((c, i) => ({ ...c, chunk: i }));
  for (const s of rowSegments(x.rows, [x.chunks, y.chunks])) {
    const [px, py] = s.parts as [(typeof s.parts)[0], (typeof s.parts)[0]];
    const flavour: LinearFlavour = s.rows >= LINEAR_TILED_MIN_ROWS ? 'tiled' : 'direct';
    const dts = [x.dtype, weight.dtype, bias?.dtype ?? x.dtype] as [GpuFloat, GpuFloat, GpuFloat];
    const key = `linear-${flavour}-${dts.join('-')}${fanInFanOut ? '-fif' : ''}`;
    const pipeline = await ctx.pipeline(key, () => linearWgsl(flavour, ...dts, fanInFanOut));
    for (const w of wSegs) {
      const params = packParams(LINEAR_PARAMS, {
        P: s.rows,
        Q: w.rows,
        K: inF,
        xBase: px.rowInChunk * inF,
        wBase: 0, // a W segment is a whole chunk
        yBase: py.rowInChunk * outF,
        outF,
        qStart: w.firstRow,
        hasBias: bias === undefined ? 0 : 1,
        fused: fused === undefined ? 0 : 1,
        r: fused?.r ?? 0,
        hBase: s.start * (fused?.r ?? 0),
        pairs: outF % 2 === 0 && w.firstRow % 2 === 0 ? 1 : 0,
      });
      const bufs = [
        x.chunks[px.chunk]!.buffer,
        weight.chunks[w.chunk]!.buffer,
        biasBuf,
        hBuf,
        bBuf,
        y.chunks[py.chunk]!.buffer,
      ];
      enc.dispatch(pipeline, params, bufs, linearGroups(flavour, s.rows, w.rows));
    }
  }
  enc.submit();
  for (const t of temps) t.dispose();
  return y;
}

/** Base layer forward on the GPU: y = x·Wᵀ + b (x·W + b with fanInFanOut), rounded to x's dtype. */
export async function gpuLinear<D extends GpuFloat>(ctx: GpuContext, args: GpuLinearArgs<D>): Promise<GpuTensor<D>> {
  ctx.assertAlive();
  return runLinear(ctx, args, linearDims(ctx, args, 'linear'), undefined);
}

/**
 * Base layer and adapter in one tiled pass: y = round_x(round_x(x·Wᵀ + b) + (drop(x)·Aᵀ)·Bᵀ) — the same bits
 * as
 * `adapterForward` applied to `linear`'s output, without writing and re-reading the base output.
 */
export async function gpuLinearWithAdapter<D extends GpuFloat>(
  ctx: GpuContext,
  args: GpuLinearWithAdapterArgs<D>,
): Promise<GpuTensor<D>> {
  const K = 'linearWithAdapter';
  ctx.assertAlive();
  const dims = linearDims(ctx, args, K);
  const r = fusedAdapterDims(ctx, args, dims[1], K);
  return runLinear(ctx, args, dims, { A: args.A, B: args.B, r, dropout: args.dropout });
}
