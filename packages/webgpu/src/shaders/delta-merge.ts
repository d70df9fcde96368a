/**
 * WGSL kernel `delta-merge`: the B·A product (the direct flavour of `tile-matmul`: the sum runs over r only) with
 * two epilogues — store ΔW (float32), or merge it into a base weight in place, W ← round_dtype(f32(W) ± ΔW).
 *
 * Output rows p and columns q are (o, i) for nn.Linear weights and (i, o) for fan_in_fan_out ones; the delta is
 * Σ_j B[o, j]·A[j, i] in j order either way (the reference's `deltaElement`). The target dtype is compiled in
 * (one pipeline per dtype); mode and layout are parameters. Packed halves are written a word at a time when the
 * host says words align (`pairs`), else element by element with atomics; both give the same bits.
 * @internal
 * @module
 */
import { paramsStruct } from './params.js';
import { DIRECT_M, DIRECT_MATMUL_WGSL, DIRECT_N } from './tile-matmul.js';
import { atomicOutBinding, dtypeCode, floatBinding, HALF_WGSL, LINEAR_WORKGROUP, type GpuFloat } from './wgsl-half.js';

/** Workgroups (output tiles) of a P × Q segment. */
export function deltaMergeGroups(P: number, Q: number): number {
  return Math.ceil(P / DIRECT_M) * Math.ceil(Q / DIRECT_N);
}

/** Parameter block fields, in order. */
export const DELTA_MERGE_PARAMS = [
  'P', // rows of this segment
  'Q', // row length
  'r',
  'inF', // A's row length
  'rowBase', // global row of the segment's first row
  'tBase', // element offset of that row in the target buffer
  'negate', // 1 for unmerge
  'safe', // 1: report the first non-finite result
  'flatBase', // global flat index of the segment's first element (for the report)
  'merge', // 0: store ΔW as f32, 1: merge into the target
  'fif', // 1: fan_in_fan_out layout
  'pairs', // 1: halves may be stored a word at a time (even Q, even tBase)
] as const;

/**
 * WGSL source for a target dtype fixed at compile time (f32 for ΔW). Bindings: 1 A, 2 B, 3 target (ΔW out, or
 * the weight updated in place), 4 non-finite flag.
 */
export function deltaMergeWgsl(target: GpuFloat): string {
  return /* wgsl */ `
${paramsStruct(DELTA_MERGE_PARAMS)}
@group(0) @binding(0) var<uniform> p_: Params;
const DT = ${dtypeCode(target)}u;
${HALF_WGSL}
${floatBinding('A', 1, 'read', '0u')}
${floatBinding('B', 2, 'read', '0u')}
${atomicOutBinding('tgt', 3, 'DT')}
@group(0) @binding(4) var<storage, read_write> bad: array<atomic<u32>>;

// p is a global output row; anything outside the segment loads 0 and is never stored
fn load_l(p: u32, k: u32) -> f32 {
  if (p >= p_.rowBase + p_.P || k >= p_.r) { return 0.0f; }
  if (p_.fif != 0u) { return A_at(k * p_.inF + p); }
  return B_at(p * p_.r + k);
}
fn load_r(k: u32, q: u32) -> f32 {
  if (q >= p_.Q || k >= p_.r) { return 0.0f; }
  if (p_.fif != 0u) { return B_at(q * p_.r + k); }
  return A_at(k * p_.inF + q);
}
${DIRECT_MATMUL_WGSL}

fn result_bits(i: u32, d: f32, sgn: f32) -> u32 {
  if (p_.merge == 0u) { return bitcast<u32>(d); }
  let bits = enc_dt(tgt_at(i) + sgn * d, DT);
  if (p_.safe != 0u && nonfinite_dt(bits, DT)) { atomicMin(&bad[0], p_.flatBase + i - p_.tBase); }
  return bits;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let tiles_q = (p_.Q + DN - 1u) / DN;
  let t = ${LINEAR_WORKGROUP};
  if (t >= tiles_q * ((p_.P + DM - 1u) / DM)) { return; }
  let p0 = (t / tiles_q) * DM + (lid / 8u) * 2u;
  let q = (t % tiles_q) * DN + (lid % 8u) * 4u;
  if (p0 >= p_.P || q >= p_.Q) { return; }
  let acc_tile = direct_matmul(p_.rowBase + p0, q, p_.r);
  let sgn = select(1.0f, -1.0f, p_.negate != 0u);
  for (var row = 0u; row < 2u; row++) {
    let pl = p0 + row;
    if (pl >= p_.P) { continue; }
    let acc = acc_tile[row];
    for (var c = 0u; c < 4u; c += 2u) {
      if (q + c >= p_.Q) { continue; }
      let i = p_.tBase + pl * p_.Q + q + c;
      let lo = result_bits(i, acc[c], sgn);
      if (q + c + 1u >= p_.Q) {
        store_tgt(i, lo);
        continue;
      }
      let hi = result_bits(i + 1u, acc[c + 1u], sgn);
      if (DT != 0u && p_.pairs != 0u) {
        store2_tgt(i, lo, hi);
      } else {
        store_tgt(i, lo);
        store_tgt(i + 1u, hi);
      }
    }
  }
}
`;
}
