/**
 * WGSL kernel `delta-merge`: the tiled B·A product with two epilogues — store ΔW (float32), or merge it into a
 * base weight, W' = round_dtype(f32(W) ± ΔW), written in the weight's dtype.
 *
 * Output rows p and columns q are (o, i) for nn.Linear weights and (i, o) for fan_in_fan_out ones; the delta is
 * Σ_j B[o, j]·A[j, i] in j order either way (the reference's `deltaElement`). Packed half weights are written a
 * whole word at a time when rows have an even length, else element by element with atomics (see
 * `atomicHalfBinding`); both give the same bits.
 * @internal
 * @module
 */
import { TILE_M, TILE_N, tileMatmulWgsl } from './tile-matmul.js';
import {
  atomicHalfBinding,
  encodeExpr,
  floatBinding,
  HALF_WGSL,
  LINEAR_WORKGROUP,
  nonFiniteExpr,
  type GpuFloat,
} from './wgsl-half.js';

/** What the kernel writes. */
export type DeltaMergeMode =
  | { readonly kind: 'delta' }
  | {
      readonly kind: 'merge';
      readonly weight: GpuFloat;
      readonly inPlace: boolean;
      /** Halves only: write 16-bit elements with atomics (rows of odd length). */
      readonly atomic: boolean;
    };

/** Pipeline cache key of a variant. */
export function deltaMergeKey(mode: DeltaMergeMode, fanInFanOut: boolean): string {
  const m =
    mode.kind === 'delta'
      ? 'delta'
      : `merge-${mode.weight}${mode.inPlace ? '-inplace' : ''}${mode.atomic ? '-atomic' : ''}`;
  return `delta-merge/${m}/${fanInFanOut ? 'fif' : 'linear'}`;
}

/** Workgroups (output tiles) of a P × Q segment. */
export function deltaMergeGroups(P: number, Q: number): number {
  return Math.ceil(P / TILE_M) * Math.ceil(Q / TILE_N);
}

function outputBindings(mode: DeltaMergeMode): { decl: string; name: string } {
  if (mode.kind === 'delta') return { decl: floatBinding('out', 3, 'f32', 'read_write'), name: 'out' };
  const { weight, inPlace, atomic } = mode;
  const flag = `@group(0) @binding(${inPlace ? 4 : 5}) var<storage, read_write> bad: array<atomic<u32>>;`;
  const useAtomic = atomic && weight !== 'f32';
  if (inPlace) {
    const w = useAtomic ? atomicHalfBinding('wt', 3, weight) : floatBinding('wt', 3, weight, 'read_write');
    return { decl: `${w}\n${flag}`, name: 'wt' };
  }
  const out = useAtomic ? atomicHalfBinding('out', 4, weight) : floatBinding('out', 4, weight, 'read_write');
  return { decl: `${floatBinding('wt', 3, weight, 'read')}\n${out}\n${flag}`, name: 'out' };
}

function storeCode(mode: DeltaMergeMode, name: string): string {
  if (mode.kind === 'delta') {
    return `for (var c = 0u; c < 4u; c++) { if (q + c < p_.Q) { out[p_.outBase + at + c] = bitcast<u32>(acc[c]); } }`;
  }
  const dt = mode.weight;
  const value = (c: string) => `(wt_at(p_.wBase + at + ${c}) + sgn * acc[${c}])`;
  const check = (bits: string, c: string) =>
    `if (p_.safe != 0u && ${nonFiniteExpr(dt, bits)}) { atomicMin(&bad[0], p_.flatBase + at + ${c}); }`;
  if (dt === 'f32' || mode.atomic) {
    const write =
      dt === 'f32' ? `${name}[p_.outBase + at + c] = bits;` : `store_${name}(p_.outBase + at + c, bits);`;
    return `for (var c = 0u; c < 4u; c++) {
      if (q + c < p_.Q) {
        let bits = ${encodeExpr(dt, value('c'))};
        ${check('bits', 'c')}
        ${write}
      }
    }`;
  }
  // even row length: this thread's 4 columns are two whole words
  return `for (var c = 0u; c < 4u; c += 2u) {
      if (q + c < p_.Q) {
        let lo = ${encodeExpr(dt, value('c'))};
        let hi = ${encodeExpr(dt, value('c + 1u'))};
        ${check('lo', 'c')}
        ${check('hi', 'c + 1u')}
        ${name}[(p_.outBase + at + c) >> 1u] = lo | (hi << 16u);
      }
    }`;
}

/**
 * WGSL source. Bindings: 1 A, 2 B; 'delta': 3 out. Merge: 3 weight, 4 out (absent in place), then the
 * non-finite flag (`atomicMin` of the first bad flat index, checked after rounding).
 */
export function deltaMergeWgsl(mode: DeltaMergeMode, fanInFanOut: boolean): string {
  const { decl, name } = outputBindings(mode);
  // p is a global output row; rows past the segment load 0 and are never stored
  const inL = 'p >= p_.rowBase + p_.P || k >= p_.r';
  const inR = 'q >= p_.Q || k >= p_.r';
  const loads = fanInFanOut
    ? `fn load_l(p: u32, k: u32) -> f32 { if (${inL}) { return 0.0f; } return A_at(k * p_.inF + p); }
fn load_r(k: u32, q: u32) -> f32 { if (${inR}) { return 0.0f; } return B_at(q * p_.r + k); }`
    : `fn load_l(p: u32, k: u32) -> f32 { if (${inL}) { return 0.0f; } return B_at(p * p_.r + k); }
fn load_r(k: u32, q: u32) -> f32 { if (${inR}) { return 0.0f; } return A_at(k * p_.inF + q); }`;
  return /* wgsl */ `
struct Params { P: u32, Q: u32, r: u32, inF: u32, rowBase: u32, wBase: u32, outBase: u32, negate: u32, safe: u32,
                flatBase: u32 }
@group(0) @binding(0) var<uniform> p_: Params;
${HALF_WGSL}
${floatBinding('A', 1, 'f32', 'read')}
${floatBinding('B', 2, 'f32', 'read')}
${decl}
${loads}
${tileMatmulWgsl(fanInFanOut ? 'k' : 'q')}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let tiles_q = (p_.Q + TN - 1u) / TN;
  let t = ${LINEAR_WORKGROUP};
  if (t >= tiles_q * ((p_.P + TM - 1u) / TM)) { return; }
  let p0 = (t / tiles_q) * TM;
  let q0 = (t % tiles_q) * TN;
  let acc_tile = tile_matmul(p_.rowBase + p0, q0, p_.r, lid);
  let sgn = select(1.0f, -1.0f, p_.negate != 0u);
  for (var i = 0u; i < 2u; i++) {
    let pl = p0 + (lid / 16u) * 2u + i;
    let q = q0 + (lid % 16u) * 4u;
    if (pl >= p_.P) { continue; }
    let acc = acc_tile[i];
    let at = pl * p_.Q + q;
    ${storeCode(mode, name)}
  }
}
`;
}
