/**
 * WGSL kernel `linear`: the base layer on the GPU, y = x·Wᵀ + b (x·W + b for fan_in_fan_out), for any mix of
 * f32/bf16/f16 x, W and b, rounded once to x's dtype — and its fused form with an unmerged adapter,
 * y = round_x(round_x(x·Wᵀ + b) + h·Bᵀ) with h = x·Aᵀ from `adapter-down`: exactly `adapterForward` applied to
 * `linear`'s output, in one pass over the output.
 *
 * The sum over `in` runs in order from 0 (see `tile-matmul`), the adapter term Σ_j h[j]·B[o, j] in j order. Two
 * flavours give identical results: 'tiled' (workgroup-memory tiles, for batches of 32 rows and more) and 'direct'
 * (no barriers, for a few rows — decoding).
 * @internal
 * @module
 */
import { paramsStruct } from './params.js';
import { DIRECT_M, DIRECT_MATMUL_WGSL, DIRECT_N, TILE_M, TILE_N, tileMatmulWgsl } from './tile-matmul.js';
import { atomicOutBinding, dtypeCode, floatBinding, HALF_WGSL, LINEAR_WORKGROUP, type GpuFloat } from './wgsl-half.js';

/** Which `tile-matmul` flavour a linear pipeline uses. */
export type LinearFlavour = 'tiled' | 'direct';

/** Rows from which the tiled flavour is used. */
export const LINEAR_TILED_MIN_ROWS = TILE_M;

/** Workgroups of a P × Q segment. */
export function linearGroups(flavour: LinearFlavour, P: number, Q: number): number {
  return flavour === 'tiled'
    ? Math.ceil(P / TILE_M) * Math.ceil(Q / TILE_N)
    : Math.ceil(P / DIRECT_M) * Math.ceil(Q / DIRECT_N);
}

/** Parameter block fields, in order. */
export const LINEAR_PARAMS = [
  'P', // x rows in this segment
  'Q', // output columns in this segment (rows of W's chunk, or all of out for fan_in_fan_out)
  'K', // in
  'xBase', // element offset of the segment's first x row in its chunk
  'wBase', // element offset of the segment's first W row in its chunk (0 for fan_in_fan_out)
  'yBase', // element offset of the segment's first y row in its chunk
  'outF', // full output row length
  'qStart', // first output column of the segment
  'hasBias',
  'fused', // 1: add the adapter term h·Bᵀ
  'r',
  'hBase', // element offset of the segment's first h row
  'pairs', // 1: halves may be stored a word at a time
] as const;

const TILED_MAIN = /* wgsl */ `
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let tiles_q = (p_.Q + TN - 1u) / TN;
  let t = ${LINEAR_WORKGROUP};
  if (t >= tiles_q * ((p_.P + TM - 1u) / TM)) { return; }
  let p0 = (t / tiles_q) * TM;
  let q0 = (t % tiles_q) * TN;
  let acc_tile = tile_matmul(p0, q0, p_.K, lid);
  epilogue(p0 + (lid / 16u) * 2u, q0 + (lid % 16u) * 4u, acc_tile);
}`;

const DIRECT_MAIN = /* wgsl */ `
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let tiles_q = (p_.Q + DN - 1u) / DN;
  let t = ${LINEAR_WORKGROUP};
  if (t >= tiles_q * ((p_.P + DM - 1u) / DM)) { return; }
  let p0 = (t / tiles_q) * DM + (lid / 8u) * 2u;
  let q = (t % tiles_q) * DN + (lid % 8u) * 4u;
  if (p0 >= p_.P || q >= p_.Q) { return; } // no barriers here: idle threads may leave
  epilogue(p0, q, direct_matmul(p0, q, p_.K));
}`;

/**
 * WGSL source of one flavour for x, W and bias dtypes and the weight layout fixed at compile time (a runtime
 * branch in the inner loop costs up to 10× on software drivers, which execute both sides). Bindings: 1 x, 2 W,
 * 3 bias, 4 h (f32), 5 B (f32), 6 y.
 */
export function linearWgsl(flavour: LinearFlavour, x: GpuFloat, w: GpuFloat, bias: GpuFloat, fif: boolean): string {
  return /* wgsl */ `
${paramsStruct(LINEAR_PARAMS)}
@group(0) @binding(0) var<uniform> p_: Params;
const XDT = ${dtypeCode(x)}u;
const WDT = ${dtypeCode(w)}u;
const BDT = ${dtypeCode(bias)}u;
${HALF_WGSL}
${floatBinding('x', 1, 'read', 'XDT')}
${floatBinding('W', 2, 'read', 'WDT')}
${floatBinding('bias', 3, 'read', 'BDT')}
${floatBinding('h', 4, 'read', '0u')}
${floatBinding('B', 5, 'read', '0u')}
${atomicOutBinding('y', 6, 'XDT')}

fn load_l(p: u32, k: u32) -> f32 {
  if (p >= p_.P || k >= p_.K) { return 0.0f; }
  return x_at(p_.xBase + p * p_.K + k);
}
fn load_r(k: u32, q: u32) -> f32 {
  if (q >= p_.Q || k >= p_.K) { return 0.0f; }
  ${fif ? 'return W_at(k * p_.outF + p_.qStart + q);' : 'return W_at(p_.wBase + q * p_.K + k);'}
}
${flavour === 'tiled' ? tileMatmulWgsl(fif ? 'false' : 'true') : DIRECT_MATMUL_WGSL}

fn out_bits(pl: u32, q: u32, acc: f32) -> u32 {
  let o = p_.qStart + q;
  var v = acc;
  if (p_.hasBias != 0u) { v = v + bias_at(o); }
  if (p_.fused != 0u) {
    v = round_dt(v, XDT);
    var t = 0.0f;
    for (var j = 0u; j < p_.r; j++) { t = t + h_at(p_.hBase + pl * p_.r + j) * B_at(o * p_.r + j); }
    v = v + t;
  }
  return enc_dt(v, XDT);
}

// rows p0, p0 + 1 and columns q .. q + 3 of this thread
fn epilogue(p0: u32, q: u32, acc_tile: array<vec4<f32>, 2>) {
  for (var row = 0u; row < 2u; row++) {
    let pl = p0 + row;
    if (pl >= p_.P) { continue; }
    let acc = acc_tile[row];
    for (var c = 0u; c < 4u; c += 2u) {
      if (q + c >= p_.Q) { continue; }
      let i = p_.yBase + pl * p_.outF + p_.qStart + q + c;
      let lo = out_bits(pl, q + c, acc[c]);
      if (q + c + 1u >= p_.Q) {
        store_y(i, lo);
        continue;
      }
      let hi = out_bits(pl, q + c + 1u, acc[c + 1u]);
      if (XDT != 0u && p_.pairs != 0u) {
        store2_y(i, lo, hi);
      } else {
        store_y(i, lo);
        store_y(i + 1u, hi);
      }
    }
  }
}
${flavour === 'tiled' ? TILED_MAIN : DIRECT_MAIN}
`;
}
