/**
 * GPU top-k admixture and compose: `topkAdmixture`, `admixFromTopk` and `composeLowRank` on GPU tensors, results
 * left on the GPU.
 * @module
 */
import {
  checkAdmixFromTopkArgs,
  checkComposeLowRankArgs,
  checkTopkAdmixtureArgs,
  isTopk,
  type AdmixFromTopkArgs,
  type ComposeLowRankArgs,
  type LogitsSource,
  type LowRankPair,
  type TopkAdmixtureArgs,
  type TopkAdmixtureResult,
  type TopkForm,
} from '@vblora/core';
import { rowSegments, type RowRange } from '../runtime/chunk-plan.js';
import type { Encoder } from '../runtime/encoder.js';
import type { GpuContext } from '../runtime/gpu-context.js';
import type { GpuTensor } from '../runtime/gpu-tensor.js';
import type { GpuTensors } from '../runtime/gpu-tensors.js';
import { ADMIX_PARAMS, ADMIX_WG, admixWgsl } from '../shaders/admix.js';
import { packParams } from '../shaders/params.js';
import { TOPK_SELECT_PARAMS, topkSelectWgsl } from '../shaders/topk-select.js';
import { ROWWISE_MAX_NV, ROWWISE_WG, topkSelectRowwiseWgsl } from '../shaders/topk-select-rowwise.js';

/** Top-k form on the GPU: (..., k) indices (i32) and weights (f32). */
export type GpuTopkForm = TopkForm<GpuTensors>;

/** Dense (..., nv) logits or their top-k form, on the GPU. */
export type GpuLogitsSource = LogitsSource<GpuTensors>;

/** Result of `WebGpuRuntime.topkAdmixture`: all three outputs stay on the GPU. */
export type GpuTopkAdmixtureResult = TopkAdmixtureResult<GpuTensors>;

/** Result of `WebGpuRuntime.composeLowRank`: A (r, in) and B (out, r) on the GPU. */
export type GpuLowRankPair = LowRankPair<GpuTensors>;

/** Chunks of `t` expressed in units of 1/f of its rows (A's rows hold in_t logits rows each). */
function scaled(chunks: readonly RowRange[], f: number): RowRange[] {
  return chunks.map((c) => ({ firstRow: c.firstRow * f, rows: c.rows * f }));
}

/** @internal Records the top-k selection + softmax of every logits row; returns (rows·k) indices and weights. */
export async function recordSelect(
  ctx: GpuContext,
  enc: Encoder,
  logits: GpuTensor<'f32'>,
  k: number,
): Promise<GpuTopkForm> {
  const nv = logits.rowElems;
  const rowwise = nv < ROWWISE_MAX_NV;
  const pipeline = rowwise
    ? await ctx.pipeline('topk-select-rowwise', topkSelectRowwiseWgsl)
    : await ctx.pipeline('topk-select', topkSelectWgsl);
  const lead = logits.shape.slice(0, -1);
  const indices = ctx.empty('i32', [...lead, k]);
  const weights = ctx.empty('f32', [...lead, k]);
  for (const s of rowSegments(logits.rows, [logits.chunks, indices.chunks, weights.chunks])) {
    const [pl, pi, pw] = s.parts as [(typeof s.parts)[0], (typeof s.parts)[0], (typeof s.parts)[0]];
    if (pi.rowInChunk !== pw.rowInChunk) throw new Error('internal: index and weight chunks disagree');
    const params = packParams(TOPK_SELECT_PARAMS, {
      rows: s.rows,
      nv,
      k,
      logitsBase: pl.rowInChunk * nv,
      outBase: pi.rowInChunk * k,
    });
    const bufs = [logits.chunks[pl.chunk]!.buffer, indices.chunks[pi.chunk]!.buffer, weights.chunks[pw.chunk]!.buffer];
    enc.dispatch(pipeline, params, bufs, rowwise ? Math.ceil(s.rows / ROWWISE_WG) : s.rows);
  }
  return { indices, weights };
}

/** Where admix writes: plain rows (A, vectors) or PEFT's transposed B with rank r. */
type AdmixTarget =
  | { readonly out: GpuTensor<'f32'>; readonly layout: 0 }
  | { readonly out: GpuTensor<'f32'>; readonly layout: 1; readonly r: number };

/** @internal Records Σ_j w·bank[idx] for every row of a top-k form into `target`. */
export async function recordAdmix(
  ctx: GpuContext,
  enc: Encoder,
  form: GpuTopkForm,
  bank: GpuTensor<'f32'>,
  target: AdmixTarget,
): Promise<void> {
  const pipeline = await ctx.pipeline('admix', admixWgsl);
  const { indices, weights } = form;
  const vl = bank.shape[1]!;
  const k = indices.rowElems;
  const bankBuf = bank.single('bank').buffer;
  const outChunks = target.layout === 0 ? scaled(target.out.chunks, target.out.rowElems / vl) : [];
  const chunkings =
    target.layout === 0 ? [indices.chunks, weights.chunks, outChunks] : [indices.chunks, weights.chunks];
  const outSingle = target.layout === 1 ? target.out.single('B').buffer : undefined;
  for (const s of rowSegments(indices.rows, chunkings)) {
    const [pi, pw, po] = s.parts;
    const outBuf = outSingle ?? target.out.chunks[po!.chunk]!.buffer;
    const count = s.rows * vl;
    const r = target.layout === 1 ? target.r : 1;
    const params = packParams(ADMIX_PARAMS, {
      count,
      vl,
      k,
      idxBase: pi!.rowInChunk * k,
      wBase: pw!.rowInChunk * k,
      outBase: po === undefined ? 0 : po.rowInChunk * vl,
      mode: target.layout,
      r,
      rowStart: s.start,
    });
    const bufs = [indices.chunks[pi!.chunk]!.buffer, weights.chunks[pw!.chunk]!.buffer, bankBuf, outBuf];
    enc.dispatch(pipeline, params, bufs, Math.ceil(count / ADMIX_WG));
  }
}

/** Throws unless every tensor of a top-k form was made by this runtime. */
function ownTopk(ctx: GpuContext, form: GpuTopkForm, arg: string): void {
  ctx.own(form.indices, `${arg}.indices`);
  ctx.own(form.weights, `${arg}.weights`);
}

/**
 * Top-k admixture on the GPU: indices, softmax weights and mixed sub-vectors of every logits row. The indices of
 * a GPU top-k form must lie in [0, nv); `WebGpuRuntime.upload` of host indices goes through the checked path.
 */
export async function gpuTopkAdmixture(
  ctx: GpuContext,
  args: TopkAdmixtureArgs<GpuTensors>,
): Promise<GpuTopkAdmixtureResult> {
  const { logits, bank, k } = args;
  ctx.assertAlive();
  ctx.own(bank, 'bank');
  ctx.own(logits, 'logits');
  const { vl } = checkTopkAdmixtureArgs(args);
  bank.single('bank');
  const enc = ctx.encoder();
  const form = await recordSelect(ctx, enc, logits, k);
  const vectors = ctx.empty('f32', [...logits.shape.slice(0, -1), vl]);
  await recordAdmix(ctx, enc, form, bank, { out: vectors, layout: 0 });
  enc.submit();
  return { ...form, vectors };
}

/** Mixes bank rows for given top-k indices and weights on the GPU: vectors (..., vl). */
export async function gpuAdmixFromTopk(
  ctx: GpuContext,
  args: AdmixFromTopkArgs<GpuTensors>,
): Promise<GpuTensor<'f32'>> {
  ctx.assertAlive();
  ctx.own(args.bank, 'bank');
  ownTopk(ctx, args, 'topk');
  const { vl } = checkAdmixFromTopkArgs(args);
  args.bank.single('bank');
  const vectors = ctx.empty('f32', [...args.indices.shape.slice(0, -1), vl]);
  const enc = ctx.encoder();
  await recordAdmix(ctx, enc, args, args.bank, { out: vectors, layout: 0 });
  enc.submit();
  return vectors;
}

/**
 * Composes a layer's A (r, in) and B (out, r) on the GPU from its logits (or top-k forms) and the bank; B is
 * written in PEFT's transposed layout directly.
 */
export async function gpuComposeLowRank(
  ctx: GpuContext,
  args: ComposeLowRankArgs<GpuTensors>,
): Promise<GpuLowRankPair> {
  const { bank, k } = args;
  ctx.assertAlive();
  ctx.own(bank, 'bank');
  for (const [src, arg] of [
    [args.logitsA, 'logitsA'],
    [args.logitsB, 'logitsB'],
  ] as const) {
    if (isTopk(src)) ownTopk(ctx, src, arg);
    else ctx.own(src, arg);
  }
  const { vl, r, inT, outT } = checkComposeLowRankArgs(args);
  bank.single('bank');
  const enc = ctx.encoder();
  const temps: GpuTensor[] = [];
  const formOf = async (src: GpuLogitsSource): Promise<GpuTopkForm> => {
    if (isTopk(src)) return src;
    const form = await recordSelect(ctx, enc, src, k);
    temps.push(form.indices, form.weights);
    return form;
  };
  const formA = await formOf(args.logitsA);
  const formB = await formOf(args.logitsB);
  const A = ctx.empty('f32', [r, inT * vl]);
  const B = ctx.empty('f32', [outT * vl, r]);
  await recordAdmix(ctx, enc, formA, bank, { out: A, layout: 0 });
  await recordAdmix(ctx, enc, formB, bank, { out: B, layout: 1, r });
  enc.submit();
  for (const t of temps) t.dispose();
  return { A, B };
}
