/**
 * WGSL kernel `attention-mix`: the output of single-head attention, out[b, i, c] = Σ_j P[b, i, j] · v[b, j, c],
 * summed over the keys j in order, one thread per output element (P from `attention-softmax`).
 * @internal
 * @module
 */
import { paramsStruct } from './params.js';
import { LINEAR_WORKGROUP, wordBinding } from './wgsl-half.js';

/** Threads per workgroup. */
export const ATTENTION_MIX_WG = 256;

/** Parameter block fields, in order. */
export const ATTENTION_MIX_PARAMS = [
  'count', // output elements (batch · seq · d)
  'seq',
  'd',
] as const;

/** WGSL source. Bindings: 1 P (f32 bits, (batch, seq, seq)), 2 v (f32 bits, (batch, seq, d)), 3 out (f32 bits). */
export function attentionMixWgsl(): string {
  return /* wgsl */ `
${paramsStruct(ATTENTION_MIX_PARAMS)}
@group(0) @binding(0) var<uniform> p: Params;
${wordBinding('probs', 1, 'read')}
${wordBinding('v', 2, 'read')}
${wordBinding('out', 3, 'read_write')}

@compute @workgroup_size(${ATTENTION_MIX_WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let e = (${LINEAR_WORKGROUP}) * ${ATTENTION_MIX_WG}u + lid;
  if (e >= p.count) { return; }
  let row = e / p.d;
  let c = e % p.d;
  let v0 = (row / p.seq) * p.seq * p.d + c;
  var acc = 0.0f;
  for (var j = 0u; j < p.seq; j++) {
    acc = acc + bitcast<f32>(probs[row * p.seq + j]) * bitcast<f32>(v[v0 + j * p.d]);
  }
  out[e] = bitcast<u32>(acc);
}
`;
}
