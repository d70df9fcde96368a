/**
 * WGSL kernel `elementwise`: float32 maps applied element by element, one thread per element — `relu`
 * (max(x, 0), NaN kept, as torch.relu) and `add` (a + b, the residual connections). The operation is a
 * compile-time constant of each pipeline.
 * @internal
 * @module
 */
import { paramsStruct } from './params.js';
import { LINEAR_WORKGROUP, wordBinding } from './wgsl-half.js';

/** The element-wise operations. */
export type ElementwiseOp = 'relu' | 'add';

/** Threads per workgroup. */
export const ELEMENTWISE_WG = 256;

/** Parameter block fields, in order. */
export const ELEMENTWISE_PARAMS = ['count'] as const;

// negative numbers, −0 and −inf become +0; NaN (above 0xff800000 with the sign set) passes through
const RELU =
  'let bits = a[i]; if (bits >= 0x80000000u && bits <= 0xff800000u) { out[i] = 0u; } else { out[i] = bits; }';
const ADD = 'out[i] = bitcast<u32>(bitcast<f32>(a[i]) + bitcast<f32>(b[i]));';

/** WGSL source. Bindings: 1 a, 2 b (read by `add` only), 3 out; all f32 bits. */
export function elementwiseWgsl(op: ElementwiseOp): string {
  return /* wgsl */ `
${paramsStruct(ELEMENTWISE_PARAMS)}
@group(0) @binding(0) var<uniform> p: Params;
${wordBinding('a', 1, 'read')}
${wordBinding('b', 2, 'read')}
${wordBinding('out', 3, 'read_write')}

@compute @workgroup_size(${ELEMENTWISE_WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (${LINEAR_WORKGROUP}) * ${ELEMENTWISE_WG}u + lid;
  if (i >= p.count) { return; }
  ${op === 'relu' ? `_ = b[0];\n  ${RELU}` : ADD}
}
`;
}
