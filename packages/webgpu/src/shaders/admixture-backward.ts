/**
 * WGSL kernel `admixture-backward`: gradients through the top-k admixture for one logits row per workgroup, with
 * the selection (indices, float32 softmax weights) from `topk-select`.
 *
 * dL/dlogit[idx_j] = w_j · Σ_c g_c·(bank[idx_j, c] − v_c), with v = Σ_i w_i·bank[idx_i] the forward vector: the
 * same value as the reference's w_j·(g·bank[idx_j] − Σ_i w_i·g·bank[idx_i]), rearranged so no two large dot
 * products cancel in float32. dL/dbank[idx_j, c] += w_j·g_c is a float atomic add (compare-exchange), so the
 * order in which rows add up varies between runs at the last-bit level.
 * @internal
 * @module
 */
import { paramsStruct } from './params.js';
import { atomicAddF32 } from './wgsl-math.js';
import { floatBinding, HALF_WGSL, LINEAR_WORKGROUP, wordBinding } from './wgsl-half.js';

/** Threads per workgroup (one row). */
export const BACKWARD_WG = 64;
/** Selected entries whose gradients one pass reduces (k is processed in chunks of this size). */
const JC = 8;

/** Parameter block fields, in order. */
export const BACKWARD_PARAMS = [
  'rows', // rows of this segment
  'nv',
  'vl',
  'k',
  'selBase', // element offset of the segment's first row in the indices/weights buffers
  'gBase', // element offset of the segment's first row in the upstream gradient (mode 0)
  'glBase', // element offset of the segment's first row in gradLogits
  'mode', // 0: g row-major (rows, vl); 1: g is PEFT's B layout (out, r), rows are (t, i)
  'r', // rank, for mode 1
  'rowStart', // global row of the segment's first row
] as const;

/** WGSL source. Bindings: 1 indices, 2 weights, 3 bank, 4 upstream gradient, 5 gradLogits, 6 gradBank (atomic). */
export function admixtureBackwardWgsl(): string {
  return /* wgsl */ `
${paramsStruct(BACKWARD_PARAMS)}
@group(0) @binding(0) var<uniform> p_: Params;
${HALF_WGSL}
${wordBinding('idx', 1, 'read')}
${floatBinding('w', 2, 'read', '0u')}
${floatBinding('bank', 3, 'read', '0u')}
${floatBinding('g_flat', 4, 'read', '0u')}
${wordBinding('grad_logits', 5, 'read_write')}
@group(0) @binding(6) var<storage, read_write> grad_bank: array<atomic<u32>>;
${atomicAddF32('grad_bank')}
const WG = ${BACKWARD_WG}u;
const JC = ${JC}u;
var<workgroup> red: array<f32, ${JC * 64}>;
var<workgroup> red_c: array<f32, ${JC * 64}>;

// TwoSum: s + e == a + b exactly (no multiplications, so a fused multiply-add cannot change it)
fn two_sum(a: f32, b: f32) -> vec2<f32> {
  let s = a + b;
  let bb = s - a;
  return vec2<f32>(s, (a - (s - bb)) + (b - bb));
}

fn g_at(row: u32, c: u32) -> f32 {
  if (p_.mode == 0u) { return g_flat_at(p_.gBase + row * p_.vl + c); }
  let gr = p_.rowStart + row;
  return g_flat_at(((gr / p_.r) * p_.vl + c) * p_.r + gr % p_.r);
}

@compute @workgroup_size(${BACKWARD_WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let row = ${LINEAR_WORKGROUP};
  if (row >= p_.rows) { return; }
  let sel = p_.selBase + row * p_.k;
  for (var j0 = 0u; j0 < p_.k; j0 += JC) {
    // compensated sums (value, error) per selected entry: the dot products over vl lose no more than the
    // rounding of each product
    var part = array<f32, ${JC}>();
    var comp = array<f32, ${JC}>();
    for (var c = lid; c < p_.vl; c += WG) {
      var v = 0.0f;
      for (var i = 0u; i < p_.k; i++) { v = v + w_at(sel + i) * bank_at(idx[sel + i] * p_.vl + c); }
      let gc = g_at(row, c);
      for (var jj = 0u; jj < JC; jj++) {
        if (j0 + jj < p_.k) {
          let ts = two_sum(part[jj], gc * (bank_at(idx[sel + j0 + jj] * p_.vl + c) - v));
          part[jj] = ts.x;
          comp[jj] = comp[jj] + ts.y;
        }
      }
    }
    for (var jj = 0u; jj < JC; jj++) {
      red[jj * WG + lid] = part[jj];
      red_c[jj * WG + lid] = comp[jj];
    }
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s >> 1u) {
      if (lid < s) {
        for (var jj = 0u; jj < JC; jj++) {
          let ts = two_sum(red[jj * WG + lid], red[jj * WG + lid + s]);
          red[jj * WG + lid] = ts.x;
          red_c[jj * WG + lid] = red_c[jj * WG + lid] + red_c[jj * WG + lid + s] + ts.y;
        }
      }
      workgroupBarrier();
    }
    if (lid < JC && j0 + lid < p_.k) {
      let j = j0 + lid;
      let d = red[lid * WG] + red_c[lid * WG];
      grad_logits[p_.glBase + row * p_.nv + idx[sel + j]] = bitcast<u32>(w_at(sel + j) * d);
    }
    workgroupBarrier();
  }
  for (var j = 0u; j < p_.k; j++) {
    let wj = w_at(sel + j);
    let at = idx[sel + j] * p_.vl;
    for (var c = lid; c < p_.vl; c += WG) { atomic_add_grad_bank(at + c, wj * g_at(row, c)); }
  }
}
`;
}
