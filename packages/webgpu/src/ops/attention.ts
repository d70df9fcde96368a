/**
 * GPU single-head attention without a mask, as in the toy models of the golden fixtures:
 * out = softmax(q·kᵀ / √d)·v over (..., seq, d) tensors, in float32.
 * @module
 */
import { formatShape, requireDType, requireSameShape, ShapeError } from '@vblora/core';
import { GpuTensorError } from '../errors.js';
import type { GpuContext } from '../runtime/gpu-context.js';
import type { GpuTensor } from '../runtime/gpu-tensor.js';
import { ATTENTION_MIX_PARAMS, ATTENTION_MIX_WG, attentionMixWgsl } from '../shaders/attention-mix.js';
import { ATTENTION_SOFTMAX_PARAMS, ATTENTION_SOFTMAX_WG, attentionSoftmaxWgsl } from '../shaders/attention-softmax.js';
import { packParams } from '../shaders/params.js';

const F32_BITS = new Uint32Array(1);
const F32_VIEW = new Float32Array(F32_BITS.buffer);

/** The bits of a number rounded to float32. */
function f32Bits(v: number): number {
  F32_VIEW[0] = v;
  return F32_BITS[0]!;
}

/**
 * softmax(q·kᵀ · fround(1/√d))·v for q, k, v of shape (..., seq, d): one head, no mask, softmax over the keys
 * in torch's order. Each tensor, and the (..., seq, seq) probabilities, must fit one buffer binding (a
 * GpuTensorError says so otherwise).
 * @internal
 */
export async function gpuAttention(
  ctx: GpuContext,
  q: GpuTensor<'f32'>,
  k: GpuTensor<'f32'>,
  v: GpuTensor<'f32'>,
): Promise<GpuTensor<'f32'>> {
  const K = 'attention';
  ctx.assertAlive();
  for (const [t, arg] of [
    [q, 'q'],
    [k, 'k'],
    [v, 'v'],
  ] as const) {
    ctx.own(t, arg);
    requireDType(t, ['f32'], arg, K);
  }
  if (q.shape.length < 2) {
    throw new ShapeError(`${K}: q must have shape (..., seq, d), got ${formatShape(q.shape)}`, 'q');
  }
  requireSameShape(k, q, 'k', 'q', K);
  requireSameShape(v, q, 'v', 'q', K);
  const d = q.shape[q.shape.length - 1]!;
  const seq = q.shape[q.shape.length - 2]!;
  const rows = q.rows;
  if (rows * d === 0) return ctx.empty('f32', q.shape);
  const [qb, kb, vb] = [q.single('q'), k.single('k'), v.single('v')].map((c) => c.buffer);
  const probBytes = rows * seq * 4;
  if (probBytes > ctx.maxBindingBytes) {
    throw new GpuTensorError(
      `${K}: the attention probabilities of ${formatShape(q.shape)} (${probBytes} bytes) exceed one buffer binding ` +
        `(${ctx.maxBindingBytes} bytes)`,
    );
  }
  const softmax = await ctx.pipeline('attention-softmax', attentionSoftmaxWgsl);
  const mix = await ctx.pipeline('attention-mix', attentionMixWgsl);
  const out = ctx.empty('f32', q.shape); // q's size: one buffer too
  const ob = out.single('out').buffer;
  const enc = ctx.encoder();
  const probs = enc.temp(Math.max(4, probBytes));
  enc.dispatch(
    softmax,
    packParams(ATTENTION_SOFTMAX_PARAMS, { rows, seq, d, scale: f32Bits(1 / Math.sqrt(d)) }),
    [qb!, kb!, probs],
    Math.ceil(rows / ATTENTION_SOFTMAX_WG),
  );
  const count = rows * d;
  enc.dispatch(
    mix,
    packParams(ATTENTION_MIX_PARAMS, { count, seq, d }),
    [probs, vb!, ob],
    Math.ceil(count / ATTENTION_MIX_WG),
  );
  enc.submit();
  return out;
}
