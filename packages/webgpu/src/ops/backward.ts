/**
 * GPU backward pass of the top-k admixture: gradients for logits (softmax Jacobian on the top-k) and for the bank
 * (scatter-add over rows), for one logits tensor (`admixtureBackward`) or a whole layer (`composeBackward`).
 * @module
 */
import {
  checkAdmixtureBackwardArgs,
  checkComposeBackwardArgs,
  type AdmixtureBackwardArgs,
  type AdmixtureGrads,
  type ComposeBackwardArgs,
  type ComposeGrads,
} from '@vblora/core';
import { rowSegments } from '../runtime/chunk-plan.js';
import type { Encoder } from '../runtime/encoder.js';
import type { GpuContext } from '../runtime/gpu-context.js';
import type { GpuTensor } from '../runtime/gpu-tensor.js';
import type { GpuTensors } from '../runtime/gpu-tensors.js';
import { admixtureBackwardWgsl, BACKWARD_PARAMS } from '../shaders/admixture-backward.js';
import { packParams } from '../shaders/params.js';
import { recordSelect } from './compose.js';

/** Gradients of `WebGpuRuntime.admixtureBackward`, on the GPU. */
export type GpuAdmixtureGrads = AdmixtureGrads<GpuTensors>;

/** Gradients of `WebGpuRuntime.composeBackward`, on the GPU. */
export type GpuComposeGrads = ComposeGrads<GpuTensors>;

/** Records the backward of one logits tensor into zero-filled gradLogits / gradBank. */
async function recordBackward(
  ctx: GpuContext,
  enc: Encoder,
  logits: GpuTensor<'f32'>,
  k: number,
  bank: GpuTensor<'f32'>,
  g:
    | { readonly t: GpuTensor<'f32'>; readonly mode: 0 }
    | { readonly t: GpuTensor<'f32'>; readonly mode: 1; readonly r: number },
  gradLogits: GpuTensor<'f32'>,
  gradBank: GpuTensor<'f32'>,
): Promise<GpuTensor[]> {
  const pipeline = await ctx.pipeline('admixture-backward', admixtureBackwardWgsl);
  const form = await recordSelect(ctx, enc, logits, k);
  const [nv, vl] = bank.shape as [number, number];
  for (const c of gradLogits.chunks) enc.clear(c.buffer, 0, c.bytes);
  const chunkings = [form.indices.chunks, form.weights.chunks, gradLogits.chunks];
  // a row of g may hold several logits rows (gradA: in_t of them): count its chunks in logits rows
  const f = g.t.rowElems / vl;
  if (g.mode === 0) chunkings.push(g.t.chunks.map((c) => ({ ...c, firstRow: c.firstRow * f, rows: c.rows * f })));
  const gSingle = g.mode === 1 ? g.t.single('gradB').buffer : undefined;
  for (const s of rowSegments(logits.rows, chunkings)) {
    const [pi, pw, pl, pg] = s.parts;
    if (pi!.rowInChunk !== pw!.rowInChunk) throw new Error('internal: index and weight chunks disagree');
    const params = packParams(BACKWARD_PARAMS, {
      rows: s.rows,
      nv,
      vl,
      k,
      selBase: pi!.rowInChunk * k,
      gBase: pg === undefined ? 0 : pg.rowInChunk * vl,
      glBase: pl!.rowInChunk * nv,
      mode: g.mode,
      r: g.mode === 1 ? g.r : 1,
      rowStart: s.start,
    });
    const bufs = [
      form.indices.chunks[pi!.chunk]!.buffer,
      form.weights.chunks[pw!.chunk]!.buffer,
      bank.single('bank').buffer,
      gSingle ?? g.t.chunks[pg!.chunk]!.buffer,
      gradLogits.chunks[pl!.chunk]!.buffer,
      gradBank.single('gradBank').buffer,
    ];
    enc.dispatch(pipeline, params, bufs, s.rows);
  }
  return [form.indices, form.weights];
}

/** Throws unless every tensor was made by this runtime. */
function own(ctx: GpuContext, tensors: Readonly<Record<string, GpuTensor>>): void {
  for (const [arg, t] of Object.entries(tensors)) ctx.own(t, arg);
}

/** Gradients of `topkAdmixture(...).vectors` w.r.t. logits and bank, given dL/dvectors, on the GPU. */
export async function gpuAdmixtureBackward(
  ctx: GpuContext,
  args: AdmixtureBackwardArgs<GpuTensors>,
): Promise<GpuAdmixtureGrads> {
  ctx.assertAlive();
  const { logits, bank, k, gradVectors } = args;
  own(ctx, { bank, logits, gradVectors });
  const { nv, vl } = checkAdmixtureBackwardArgs(args);
  bank.single('bank');
  const gradLogits = ctx.empty('f32', logits.shape);
  const gradBank = ctx.zeros('f32', [nv, vl]);
  const enc = ctx.encoder();
  const temps = await recordBackward(ctx, enc, logits, k, bank, { t: gradVectors, mode: 0 }, gradLogits, gradBank);
  enc.submit();
  for (const t of temps) t.dispose();
  return { gradLogits, gradBank };
}

/** Gradients of `composeLowRank` w.r.t. logits A, logits B and the shared bank, given dL/dA and dL/dB, on the GPU. */
export async function gpuComposeBackward(
  ctx: GpuContext,
  args: ComposeBackwardArgs<GpuTensors>,
): Promise<GpuComposeGrads> {
  ctx.assertAlive();
  const { logitsA, logitsB, bank, k, gradA, gradB } = args;
  own(ctx, { bank, logitsA, logitsB, gradA, gradB });
  const { nv, vl, r } = checkComposeBackwardArgs(args);
  bank.single('bank');
  const gradLogitsA = ctx.empty('f32', logitsA.shape);
  const gradLogitsB = ctx.empty('f32', logitsB.shape);
  const gradBank = ctx.zeros('f32', [nv, vl]);
  const enc = ctx.encoder();
  // dL/dS_A (r, in_t, vl) is gradA itself (A is S_A reshaped); S_B's gradient is read through B's layout
  const tempsA = await recordBackward(ctx, enc, logitsA, k, bank, { t: gradA, mode: 0 }, gradLogitsA, gradBank);
  const tempsB = await recordBackward(ctx, enc, logitsB, k, bank, { t: gradB, mode: 1, r }, gradLogitsB, gradBank);
  enc.submit();
  for (const t of [...tempsA, ...tempsB]) t.dispose();
  return { gradLogitsA, gradLogitsB, gradBank };
}
