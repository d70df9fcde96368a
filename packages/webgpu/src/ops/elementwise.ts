/**
 * GPU element-wise float32 maps: `relu` and the residual `add`, chunk by chunk (tensors of one shape are split
 * into buffers the same way, so chunk i of each operand holds the same elements).
 * @module
 */
import { requireDType, requireSameShape } from '@vblora/core';
import type { GpuContext } from '../runtime/gpu-context.js';
import type { GpuTensor } from '../runtime/gpu-tensor.js';
import { ELEMENTWISE_PARAMS, ELEMENTWISE_WG, elementwiseWgsl, type ElementwiseOp } from '../shaders/elementwise.js';
import { packParams } from '../shaders/params.js';

async function run(
  ctx: GpuContext,
  op: ElementwiseOp,
  a: GpuTensor<'f32'>,
  b: GpuTensor<'f32'> | undefined,
): Promise<GpuTensor<'f32'>> {
  ctx.assertAlive();
  ctx.own(a, 'a');
  requireDType(a, ['f32'], 'a', op);
  if (b !== undefined) {
    ctx.own(b, 'b');
    requireDType(b, ['f32'], 'b', op);
    requireSameShape(b, a, 'b', 'a', op);
  }
  const out = ctx.empty('f32', a.shape);
  const pipeline = await ctx.pipeline(`elementwise-${op}`, () => elementwiseWgsl(op));
  const enc = ctx.encoder();
  a.chunks.forEach((c, i) => {
    const count = c.rows * a.rowElems;
    const bufs = [c.buffer, b === undefined ? ctx.dummy() : b.chunks[i]!.buffer, out.chunks[i]!.buffer];
    enc.dispatch(pipeline, packParams(ELEMENTWISE_PARAMS, { count }), bufs, Math.ceil(count / ELEMENTWISE_WG));
  });
  enc.submit();
  return out;
}

/** max(x, 0) element by element, NaN kept (torch.relu), into a new tensor. @internal */
export function gpuRelu(ctx: GpuContext, x: GpuTensor<'f32'>): Promise<GpuTensor<'f32'>> {
  return run(ctx, 'relu', x, undefined);
}

/** a + b element by element (same shapes), into a new tensor. @internal */
export function gpuAdd(ctx: GpuContext, a: GpuTensor<'f32'>, b: GpuTensor<'f32'>): Promise<GpuTensor<'f32'>> {
  return run(ctx, 'add', a, b);
}
