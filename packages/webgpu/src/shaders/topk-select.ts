/**
 * WGSL kernel `topk-select`: for each logits row, the k best entries in torch order (descending value, NaN first,
 * ties lowest index first) and their softmax weights computed torch's float32 way: m = max, e = exp(v − m),
 * s = Σe in order, w = e · (1/s).
 *
 * One workgroup per row, for banks of `ROWWISE_MAX_NV` vectors and more (smaller ones use `topk-select-rowwise`,
 * with identical results). Round t finds the best entry ranking strictly below round t−1's pick (the order is
 * total: key, then index), so no "taken" flags are needed and nv is unbounded; each round is a strided scan and
 * a tree reduction over 64 threads.
 * Home rule: core's `topkRanksAbove` / `selectTopk` (WGSL cannot call it); held to it by the conformance cases
 * `topkAdmixture/rand-*-ties`, `-neg-inf`, `-nan`, `-pos-inf`, `-mixed-nonfinite` (docs/architecture.md).
 * @internal
 * @module
 */
import { paramsStruct } from './params.js';
import { MATH_WGSL } from './wgsl-math.js';
import { LINEAR_WORKGROUP, wordBinding } from './wgsl-half.js';

/** Threads per workgroup (one row). */
export const TOPK_SELECT_WG = 64;

/** Parameters (shared with `topk-select-rowwise`). */
export const TOPK_SELECT_PARAMS = [
  'rows', // rows of this segment
  'nv',
  'k',
  'logitsBase', // element offset of the segment's first row in its logits chunk
  'outBase', // element offset of that row in the indices / weights chunks
] as const;

/** WGSL source. Bindings: 1 logits (bits), 2 indices out, 3 weights out (bits). */
export function topkSelectWgsl(): string {
  return /* wgsl */ `
${paramsStruct(TOPK_SELECT_PARAMS)}
@group(0) @binding(0) var<uniform> p: Params;
${wordBinding('logits', 1, 'read')}
${wordBinding('idx_out', 2, 'read_write')}
${wordBinding('w_out', 3, 'read_write')}
${MATH_WGSL}
const WG = ${TOPK_SELECT_WG}u;
var<workgroup> red_key: array<u32, WG>;
var<workgroup> red_idx: array<u32, WG>;
var<workgroup> inv_sum: f32;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let row = ${LINEAR_WORKGROUP};
  if (row >= p.rows) { return; }
  let base = p.logitsBase + row * p.nv;
  let obase = p.outBase + row * p.k;
  var prev_key = 0u;
  var prev_idx = 0u;
  for (var t = 0u; t < p.k; t++) {
    var best_key = 0u;
    var best_idx = 0xffffffffu;
    for (var j = lid; j < p.nv; j += WG) {
      let key = rank_key(logits[base + j]);
      let below = t == 0u || key < prev_key || (key == prev_key && j > prev_idx);
      if (below && (key > best_key || (key == best_key && j < best_idx))) {
        best_key = key;
        best_idx = j;
      }
    }
    red_key[lid] = best_key;
    red_idx[lid] = best_idx;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s >> 1u) {
      if (lid < s) {
        let ok = red_key[lid + s];
        let oi = red_idx[lid + s];
        if (ok > red_key[lid] || (ok == red_key[lid] && oi < red_idx[lid])) {
          red_key[lid] = ok;
          red_idx[lid] = oi;
        }
      }
      workgroupBarrier();
    }
    prev_key = red_key[0];
    prev_idx = red_idx[0];
    if (lid == 0u) { idx_out[obase + t] = prev_idx; }
    workgroupBarrier();
  }
  storageBarrier();
  // softmax over the selected values; the first pick is the maximum (or a NaN, which ranks first)
  let m_bits = logits[base + idx_out[obase]];
  let m = bitcast<f32>(m_bits);
  // NaN or +inf anywhere, or only -inf: torch gives NaN for every weight of the row
  let all_nan = (m_bits & 0x7f800000u) == 0x7f800000u;
  for (var j = lid; j < p.k; j += WG) {
    let v_bits = logits[base + idx_out[obase + j]];
    var e = 0.0f;
    if (v_bits != 0xff800000u) { e = exp_neg(bitcast<f32>(v_bits) - m); }
    w_out[obase + j] = select(bitcast<u32>(e), 0x7fc00000u, all_nan);
  }
  storageBarrier();
  if (lid == 0u) {
    var s = 0.0f;
    for (var j = 0u; j < p.k; j++) { s = s + bitcast<f32>(w_out[obase + j]); }
    inv_sum = select(recip_rn(s), 0.0f, all_nan);
  }
  workgroupBarrier();
  let inv = inv_sum;
  if (!all_nan) {
    for (var j = lid; j < p.k; j += WG) {
      w_out[obase + j] = bitcast<u32>(bitcast<f32>(w_out[obase + j]) * inv);
    }
  }
}
`;
}
