/**
 * WGSL kernel `attention-softmax`: the attention probabilities of single-head attention without a mask,
 * P[b, i, j] = softmax_j(q[b, i]·k[b, j] · scale), one thread per query row.
 *
 * Each score sums over the head dimension in order from 0 and is then multiplied by `scale` (1/√d rounded to
 * float32; exact when d is a power of 4, as in the toy models). The softmax follows torch: e = exp(s − max),
 * Σe in key order, w = e · (1/Σe), with the package's own `exp_neg` and correctly rounded `recip_rn`. A row
 * with a NaN score, or whose largest score is ±inf, is all NaN, as in torch.
 * @internal
 * @module
 */
import { paramsStruct } from './params.js';
import { MATH_WGSL } from './wgsl-math.js';
import { LINEAR_WORKGROUP, wordBinding } from './wgsl-half.js';

/** Threads per workgroup (one query row each). */
export const ATTENTION_SOFTMAX_WG = 64;

/** Parameter block fields, in order. */
export const ATTENTION_SOFTMAX_PARAMS = [
  'rows', // query rows in all (batch · seq)
  'seq', // keys per batch entry (= queries per batch entry)
  'd', // head dimension
  'scale', // f32 bits of the score scale
] as const;

/** WGSL source. Bindings: 1 q, 2 k (f32 bits, (batch, seq, d)), 3 P out (f32 bits, (batch, seq, seq)). */
export function attentionSoftmaxWgsl(): string {
  return /* wgsl */ `
${paramsStruct(ATTENTION_SOFTMAX_PARAMS)}
@group(0) @binding(0) var<uniform> p: Params;
${wordBinding('q', 1, 'read')}
${wordBinding('k', 2, 'read')}
${wordBinding('probs', 3, 'read_write')}
${MATH_WGSL}

@compute @workgroup_size(${ATTENTION_SOFTMAX_WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let row = (${LINEAR_WORKGROUP}) * ${ATTENTION_SOFTMAX_WG}u + lid;
  if (row >= p.rows) { return; }
  let scale = bitcast<f32>(p.scale);
  let q0 = row * p.d;
  let k0 = (row / p.seq) * p.seq * p.d;
  let o = row * p.seq;
  // NaN is tracked on the bits: drivers may assume floats are never NaN
  var bad = false;
  var m = 0.0f;
  for (var j = 0u; j < p.seq; j++) {
    var s = 0.0f;
    for (var c = 0u; c < p.d; c++) {
      s = s + bitcast<f32>(q[q0 + c]) * bitcast<f32>(k[k0 + j * p.d + c]);
    }
    s = s * scale;
    let bits = bitcast<u32>(s);
    if ((bits & 0x7fffffffu) > 0x7f800000u) { bad = true; }
    if (j == 0u || s > m) { m = s; }
    probs[o + j] = bits;
  }
  if (bad || (bitcast<u32>(m) & 0x7f800000u) == 0x7f800000u) {
    for (var j = 0u; j < p.seq; j++) { probs[o + j] = 0x7fc00000u; }
    return;
  }
  var total = 0.0f;
  for (var j = 0u; j < p.seq; j++) {
    let e = exp_neg(bitcast<f32>(probs[o + j]) - m);
    probs[o + j] = bitcast<u32>(e);
    total = total + e;
  }
  let inv = recip_rn(total);
  for (var j = 0u; j < p.seq; j++) { probs[o + j] = bitcast<u32>(bitcast<f32>(probs[o + j]) * inv); }
}
`;
}
