/**
 * WGSL kernel `adapter-down`: the adapter's down projection h[n, j] = Σ_i drop(x[n, i]) · A_a[j, i] with
 * a = the row's adapter (mixed batches, as in Punica's BGMV: each row gathers its own adapter's A) or adapter 0
 * for every row. One thread per (row, j), summing over `in` in order — the reference's order.
 *
 * Dropout (training) multiplies kept inputs by f32(1/(1−p)) and zeroes the others, with the keep mask computed on
 * the host by core's `dropoutMask` and passed as bits, so the GPU drops exactly the reference's elements.
 * @internal
 * @module
 */
import { paramsStruct } from './params.js';
import { dtypeCode, floatBinding, HALF_WGSL, LINEAR_WORKGROUP, wordBinding, type GpuFloat } from './wgsl-half.js';

/** Threads per workgroup. */
export const ADAPTER_DOWN_WG = 64;

/** Parameter block fields, in order. */
export const ADAPTER_DOWN_PARAMS = [
  'rows', // rows of this segment
  'rMax', // h row length: the largest rank
  'inF',
  'xBase', // element offset of the segment's first x row in its chunk
  'rowStart', // global row of the segment's first row
  'single', // 1: every row uses adapter 0 (no rowAdapter lookup)
  'dropout', // 1: apply the mask
  'scaleBits', // f32 bits of the dropout scale
] as const;

/**
 * WGSL source for an x dtype fixed at compile time. Bindings: 1 x, 2 A (all adapters), 3 table (r, aOff, bOff
 * per adapter), 4 rowAdapter, 5 mask, 6 h.
 */
export function adapterDownWgsl(x: GpuFloat): string {
  return /* wgsl */ `
${paramsStruct(ADAPTER_DOWN_PARAMS)}
@group(0) @binding(0) var<uniform> p_: Params;
const XDT = ${dtypeCode(x)}u;
${HALF_WGSL}
${floatBinding('x', 1, 'read', 'XDT')}
${floatBinding('A', 2, 'read', '0u')}
${wordBinding('table', 3, 'read')}
${wordBinding('row_adapter', 4, 'read')}
${wordBinding('mask', 5, 'read')}
${wordBinding('h', 6, 'read_write')}

@compute @workgroup_size(${ADAPTER_DOWN_WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let e = (${LINEAR_WORKGROUP}) * ${ADAPTER_DOWN_WG}u + lid;
  if (e >= p_.rows * p_.rMax) { return; }
  let n = e / p_.rMax;
  let j = e % p_.rMax;
  let g = p_.rowStart + n;
  var a = 0u;
  if (p_.single == 0u) { a = row_adapter[g]; }
  var acc = 0.0f;
  // a = -1 (0xffffffff as u32) marks a row without adapter
  if (a != 0xffffffffu && j < table[a * 3u]) {
    let a_off = table[a * 3u + 1u] + j * p_.inF;
    let scale = bitcast<f32>(p_.scaleBits);
    for (var i = 0u; i < p_.inF; i++) {
      var xv = x_at(p_.xBase + n * p_.inF + i);
      if (p_.dropout != 0u) {
        let f = g * p_.inF + i;
        xv = select(0.0f, xv * scale, ((mask[f >> 5u] >> (f & 31u)) & 1u) == 1u);
      }
      acc = acc + xv * A_at(a_off + i);
    }
  }
  h[g * p_.rMax + j] = bitcast<u32>(acc);
}
`;
}
