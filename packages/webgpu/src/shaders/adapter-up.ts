/**
 * WGSL kernel `adapter-up`: y[n, o] = round_x(f32(baseOut[n, o] + Σ_j h[n, j] · B_a[o, j])), the adapter's up
 * projection added to the base output (SPEC §4.3); rows without adapter (a = −1) get round_x(baseOut).
 *
 * One thread per output word: a whole packed half word is written at once, and a word shared with the next
 * segment is written element by element with atomics.
 * @internal
 * @module
 */
import { paramsStruct } from './params.js';
import {
  atomicOutBinding,
  dtypeCode,
  floatBinding,
  HALF_WGSL,
  LINEAR_WORKGROUP,
  wordBinding,
  type GpuFloat,
} from './wgsl-half.js';

/** Threads per workgroup. */
export const ADAPTER_UP_WG = 256;

/** Parameter block fields, in order. */
export const ADAPTER_UP_PARAMS = [
  'count', // elements of this segment
  'outF',
  'rMax',
  'yBase', // element offset of the segment in its y chunk
  'baseBase', // element offset of the segment in its baseOut chunk
  'rowStart', // global row of the segment's first row
  'single', // 1: adapter 0 for every row
  'words', // threads: elements (f32) or words touched (halves)
] as const;

/**
 * WGSL source for output and baseOut dtypes fixed at compile time. Bindings: 1 baseOut, 2 h, 3 B (all adapters),
 * 4 table, 5 rowAdapter, 6 y.
 */
export function adapterUpWgsl(y: GpuFloat, base: GpuFloat): string {
  return /* wgsl */ `
${paramsStruct(ADAPTER_UP_PARAMS)}
@group(0) @binding(0) var<uniform> p_: Params;
const YDT = ${dtypeCode(y)}u;
const BDT = ${dtypeCode(base)}u;
${HALF_WGSL}
${floatBinding('base', 1, 'read', 'BDT')}
${floatBinding('h', 2, 'read', '0u')}
${floatBinding('B', 3, 'read', '0u')}
${wordBinding('table', 4, 'read')}
${wordBinding('row_adapter', 5, 'read')}
${atomicOutBinding('y', 6, 'YDT')}

// element e of the segment (0 <= e < count)
fn value_bits(e: u32) -> u32 {
  let n = e / p_.outF;
  let o = e % p_.outF;
  let g = p_.rowStart + n;
  var a = 0u;
  if (p_.single == 0u) { a = row_adapter[g]; }
  let b = base_at(p_.baseBase + e);
  if (a == 0xffffffffu) { return enc_dt(b, YDT); }
  let r = table[a * 3u];
  let b_off = table[a * 3u + 2u] + o * r;
  var t = 0.0f;
  for (var j = 0u; j < r; j++) { t = t + h_at(g * p_.rMax + j) * B_at(b_off + j); }
  return enc_dt(b + t, YDT);
}

@compute @workgroup_size(${ADAPTER_UP_WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let w = (${LINEAR_WORKGROUP}) * ${ADAPTER_UP_WG}u + lid;
  if (w >= p_.words) { return; }
  if (YDT == 0u) {
    store_y(p_.yBase + w, value_bits(w));
    return;
  }
  // halves: word w covers chunk elements 2·(yBase/2 + w) and the next one; keep those inside the segment
  let i0 = ((p_.yBase >> 1u) + w) * 2u;
  let in0 = i0 >= p_.yBase && i0 < p_.yBase + p_.count;
  let in1 = i0 + 1u >= p_.yBase && i0 + 1u < p_.yBase + p_.count;
  if (in0 && in1) {
    store2_y(i0, value_bits(i0 - p_.yBase), value_bits(i0 + 1u - p_.yBase));
  } else if (in0) {
    store_y(i0, value_bits(i0 - p_.yBase));
  } else if (in1) {
    store_y(i0 + 1u, value_bits(i0 + 1u - p_.yBase));
  }
}
`;
}
