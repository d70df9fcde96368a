/**
 * WGSL kernel `admix`: vectors[row, c] = Σ_j w[row, j] · bank[idx[row, j], c], summed in top-k order with every
 * product and partial sum rounded to float32 (the reference's order, so results are bit-exact wherever the
 * driver does not fuse the multiply-add).
 *
 * One thread per output element. Layout 0 writes rows as they are (A, or plain sub-vectors); layout 1 writes
 * PEFT's transposed B directly: row (t, i) of S_B goes to B[t·vl + c, i], so compose needs no transpose pass.
 * @internal
 * @module
 */
import { paramsStruct } from './params.js';
import { LINEAR_WORKGROUP, wordBinding } from './wgsl-half.js';

/** Threads per workgroup. */
export const ADMIX_WG = 256;

/** Parameters. */
export const ADMIX_PARAMS = [
  'count', // output elements of this segment
  'vl',
  'k',
  'idxBase', // element offset of the segment's first row in the indices chunk
  'wBase', // same in the weights chunk
  'outBase', // element offset of the segment's first output row (mode 0)
  'mode', // 0: rows as they are; 1: PEFT's transposed B layout
  'r', // rank, for mode 1
  'rowStart', // global row of the segment's first row
] as const;

/** WGSL source. Bindings: 1 indices, 2 weights (bits), 3 bank (bits), 4 output (bits). */
export function admixWgsl(): string {
  return /* wgsl */ `
${paramsStruct(ADMIX_PARAMS)}
@group(0) @binding(0) var<uniform> p: Params;
${wordBinding('idx', 1, 'read')}
${wordBinding('w', 2, 'read')}
${wordBinding('bank', 3, 'read')}
${wordBinding('out', 4, 'read_write')}

@compute @workgroup_size(${ADMIX_WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let e = (${LINEAR_WORKGROUP}) * ${ADMIX_WG}u + lid;
  if (e >= p.count) { return; }
  let row = e / p.vl;
  let c = e % p.vl;
  var acc = 0.0f;
  for (var j = 0u; j < p.k; j++) {
    let b = bitcast<f32>(bank[idx[p.idxBase + row * p.k + j] * p.vl + c]);
    acc = acc + bitcast<f32>(w[p.wBase + row * p.k + j]) * b;
  }
  if (p.mode == 0u) {
    out[p.outBase + e] = bitcast<u32>(acc);
  } else {
    let g = p.rowStart + row;
    out[(g / p.r * p.vl + c) * p.r + g % p.r] = bitcast<u32>(acc);
  }
}
`;
}
