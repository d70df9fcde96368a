/**
 * WGSL kernel `topk-select-rowwise`: the same selection and softmax as `topk-select` (identical results), with one
 * thread per row instead of one workgroup: an insertion into the row's sorted top-k list, the reference's
 * algorithm, O(nv·k) per row and free of barriers. Used for banks under `ROWWISE_MAX_NV` vectors, where a
 * workgroup per row would mostly idle (and where software drivers, which pay dearly for barriers, spend their
 * time in tests).
 * Home rule: core's `topkRanksAbove` / `selectTopk` (WGSL cannot call it); held to it by the conformance cases
 * `topkAdmixture/rand-*-ties`, `-neg-inf`, `-nan`, `-pos-inf`, `-mixed-nonfinite` (docs/architecture.md).
 * @internal
 * @module
 */
import { paramsStruct } from './params.js';
import { TOPK_SELECT_PARAMS } from './topk-select.js';
import { MATH_WGSL } from './wgsl-math.js';
import { LINEAR_WORKGROUP, wordBinding } from './wgsl-half.js';

/** Threads per workgroup (one row each). */
export const ROWWISE_WG = 64;
/** Banks with fewer vectors than this use the row-wise kernel. */
export const ROWWISE_MAX_NV = 512;

/** WGSL source. Parameters and bindings as `topk-select`: 1 logits (bits), 2 indices out, 3 weights out (bits). */
export function topkSelectRowwiseWgsl(): string {
  return /* wgsl */ `
${paramsStruct(TOPK_SELECT_PARAMS)}
@group(0) @binding(0) var<uniform> p: Params;
${wordBinding('logits', 1, 'read')}
${wordBinding('idx_out', 2, 'read_write')}
${wordBinding('w_out', 3, 'read_write')}
${MATH_WGSL}

@compute @workgroup_size(${ROWWISE_WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let row = (${LINEAR_WORKGROUP}) * ${ROWWISE_WG}u + lid;
  if (row >= p.rows) { return; }
  let base = p.logitsBase + row * p.nv;
  let o = p.outBase + row * p.k;
  // the sorted list lives in idx_out, its keys in w_out until the softmax overwrites them
  var count = 0u;
  for (var j = 0u; j < p.nv; j++) {
    let key = rank_key(logits[base + j]);
    var pos = count;
    // entry j goes below every kept entry that ranks above it (all earlier equal keys do: lower index)
    while (pos > 0u && (w_out[o + pos - 1u] < key)) { pos -= 1u; }
    if (pos >= p.k) { continue; }
    for (var q = min(count, p.k - 1u); q > pos; q -= 1u) {
      idx_out[o + q] = idx_out[o + q - 1u];
      w_out[o + q] = w_out[o + q - 1u];
    }
    idx_out[o + pos] = j;
    w_out[o + pos] = key;
    if (count < p.k) { count += 1u; }
  }
  let m_bits = logits[base + idx_out[o]];
  let m = bitcast<f32>(m_bits);
  if ((m_bits & 0x7f800000u) == 0x7f800000u) {
    // NaN or +inf among the picks, or only -inf: torch gives NaN for every weight of the row
    for (var j = 0u; j < p.k; j++) { w_out[o + j] = 0x7fc00000u; }
    return;
  }
  var s = 0.0f;
  for (var j = 0u; j < p.k; j++) {
    let v_bits = logits[base + idx_out[o + j]];
    var e = 0.0f;
    if (v_bits != 0xff800000u) { e = exp_neg(bitcast<f32>(v_bits) - m); }
    w_out[o + j] = bitcast<u32>(e);
    s = s + e;
  }
  let inv = recip_rn(s);
  for (var j = 0u; j < p.k; j++) { w_out[o + j] = bitcast<u32>(bitcast<f32>(w_out[o + j]) * inv); }
}
`;
}
