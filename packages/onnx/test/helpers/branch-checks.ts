/**
 * Checks of an adapted layer's output against core's reference, with the tolerances of each dtype and the reasons
 * for them, shared by the inject tests on the test decoders.
 */
import { expect } from 'vitest';
import { toF32, type HostTensor, type LowRankPair, type Tolerance } from '@vblora/core';
import { maxAbs } from './decoder-runs.js';
import { expectClose } from './golden.js';

/** Adapted: q, v, o, gate, down of both layers and lm_head; k and up stay plain. */
export const ADAPTED = [
  ...[0, 1].flatMap((i) =>
    ['self_attn.q_proj', 'self_attn.v_proj', 'self_attn.o_proj', 'mlp.gate_proj', 'mlp.down_proj'].map(
      (m) => `model.layers.${i}.${m}`,
    ),
  ),
  'lm_head',
];

/**
 * Accuracy of an adapted output y against core's adapterForward on the probed x and base output.
 *
 * float32 outputs (the float32 and every quantized variant — the quantized base op is untouched, so y − base must
 * be the float32 branch): the same products summed in another order (onnxruntime's blocked MatMul vs the reference's
 * sequential loop), within 8 float32 ulps of the layer's largest output (outputs reach ~80 in lm_head).
 *
 * float16 outputs: PEFT's order is in the graph (float32 branch, float32 sum, one rounding to float16), but
 * onnxruntime's CPU provider runs float16 MatMul/Add/Mul in float32 and merges the Cast pairs it inserts, so inside
 * the graph the base output and x (when another float16 op computed it) are not yet rounded to float16 while the
 * probes are: within one float16 ulp of y, plus half a float16 ulp of the base output, plus the branch's response to
 * half a float16 ulp on every x element (½·ulp₁₆(max|x|)·max_o Σ_c |(B·A)[o, c]|). inject-quantized.test.ts shows
 * it on a two-node graph: Add(f16) → Cast(f32) reads the unrounded sum.
 */
export const ulp32 = (v: number): number => 2 ** (Math.floor(Math.log2(Math.max(Math.abs(v), 2 ** -126))) - 23);
export const ulp16 = (v: number): number =>
  2 ** (Math.max(Math.floor(Math.log2(Math.max(Math.abs(v), 2 ** -24))), -14) - 10);

/** max over output rows of Σ_c |(B·A)[o, c]|: how much the branch moves per unit change of every x element. */
function deltaRowSum(pairs: readonly (LowRankPair | null)[]): number {
  let worst = 0;
  for (const p of pairs) {
    if (p === null) continue;
    const [r, inF] = p.A.shape as [number, number];
    const outF = p.B.shape[0]!;
    for (let o = 0; o < outF; o++) {
      let sum = 0;
      for (let c = 0; c < inF; c++) {
        let m = 0;
        for (let i = 0; i < r; i++) m += p.B.data[o * r + i]! * p.A.data[i * inF + c]!;
        sum += Math.abs(m);
      }
      worst = Math.max(worst, sum);
    }
  }
  return worst;
}

/** Checks y against the expected output; returns the worst error in ulps (float32: of the largest output). */
export function checkBranch(
  y: HostTensor,
  want: HostTensor,
  base: HostTensor,
  x: HostTensor,
  pairs: readonly (LowRankPair | null)[],
  label: string,
): number {
  if (y.dtype !== 'f16') {
    const scale = maxAbs(want);
    expectClose(y, want, { atol: 8 * ulp32(scale), rtol: 0 }, label);
    const a = toF32(y).data;
    const e = toF32(want).data;
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - e[i]!) / ulp32(scale));
    return worst;
  }
  const a = toF32(y).data;
  const e = toF32(want).data;
  const b = toF32(base).data;
  const xTerm = (ulp16(maxAbs(x)) / 2) * deltaRowSum(pairs);
  let worst = 0;
  const bad: string[] = [];
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i]! - e[i]!);
    if (err > ulp16(Math.max(Math.abs(a[i]!), Math.abs(e[i]!))) + ulp16(b[i]!) / 2 + xTerm)
      bad.push(`[${i}] ${a[i]} vs ${e[i]} (base ${b[i]})`);
    worst = Math.max(worst, err / ulp16(e[i]!));
  }
  expect(bad.slice(0, 4), `${label}: ${bad.length} elements beyond 1 ulp(y) + ½ ulp(base) + ${xTerm}`).toEqual([]);
  return worst;
}

/**
 * A float16 model run without adapter against the plain model. By the graph's semantics they are equal
 * (round_f16(f32(base) + 0) = base), and every float32 variant is bit for bit; onnxruntime's CPU provider computes
 * float16 ops in float32 and rounds only where its inserted Casts survive, which depends on the graph around them,
 * so through two layers the q4f16 outputs move (measured ≤ 0.008 on logits of magnitude up to ~8, 2 float16 ulps
 * of that scale): within 4 float16 ulps of each output's largest magnitude.
 */
export const noAdapterF16 = (plain: HostTensor): Tolerance => ({ atol: 4 * ulp16(maxAbs(plain)), rtol: 0 });
