/**
 * In-graph composition of the `topk` variant: A (n, r, in) and B (n, out, r) from the concatenated bank and each
 * module's top-k indices and weights, as core's `admixFromTopk` + `composeLowRank` (SPEC §4.2 layouts).
 * @module
 */
import type { GraphBuilder } from '../graph/graph-builder.js';

/**
 * Adds the composition nodes of one module and returns the names of its stacked A and B.
 * Inputs: `bank` (NV, vl); A indices/weights (n, r, in_t, k); B indices/weights (n, out_t, r, k).
 */
export function composeTopk(
  g: GraphBuilder,
  path: string,
  bank: string,
  inputs: { aIndices: string; aWeights: string; bIndices: string; bWeights: string },
  inFeatures: number,
  outFeatures: number,
): { A: string; B: string } {
  const scope = `vblora/${path}/compose`;
  const minus1 = g.int64([-1]);
  const kAxis = g.int64([3]);
  const mix = (indices: string, weights: string, side: string): string => {
    const vectors = g.op1('Gather', [bank, indices], { axis: { i: 0 } }, { name: `${scope}/${side}_gather` }); // (n, a, b, k, vl)
    const w = g.op1('Unsqueeze', [weights, minus1], {}, { name: `${scope}/${side}_w` }); // (n, a, b, k, 1)
    const weighted = g.op1('Mul', [vectors, w], {}, { name: `${scope}/${side}_mul` });
    return g.op1('ReduceSum', [weighted, kAxis], { keepdims: { i: 0 } }, { name: `${scope}/${side}_sum` }); // (n, a, b, vl)
  };
  const sA = mix(inputs.aIndices, inputs.aWeights, 'A'); // (n, r, in_t, vl)
  const A = g.op1('Reshape', [sA, g.int64([0, 0, inFeatures])], {}, { name: `${scope}/A` }); // (n, r, in)
  const sB = mix(inputs.bIndices, inputs.bWeights, 'B'); // (n, out_t, r, vl)
  const sBt = g.op1('Transpose', [sB], { perm: { ints: [0, 1, 3, 2] } }, { name: `${scope}/B_t` }); // (n, out_t, vl, r)
  const B = g.op1('Reshape', [sBt, g.int64([0, outFeatures, -1])], {}, { name: `${scope}/B` }); // (n, out, r)
  return { A, B };
}
