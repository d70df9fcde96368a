/**
 * Following a MatMul/Gemm operand back to the initializer it comes from, through the `Transpose`, `Cast` and
 * `Identity` nodes exporters put between a weight and its use.
 * @module
 */
import { intsAttr } from '../graph/attributes.js';
import { lookupInitializer, lookupProducer, type GraphIndex } from '../graph/graph-index.js';
import type { onnx } from '../proto.js';

/** An initializer reached from an operand, and how many 2-D transposes lie in between. */
export interface TracedWeight {
  readonly initializer: onnx.ITensorProto;
  readonly transposes: number;
  /** The nodes passed through, from the operand back to the initializer. */
  readonly chain: readonly onnx.INodeProto[];
}

const MAX_CHAIN = 8;

/**
 * Traces `tensor` back to an initializer (of this graph or, in a subgraph, of a graph around it), or returns null
 * when it is computed from activations.
 */
export function traceWeight(index: GraphIndex, tensor: string, allowTranspose = true): TracedWeight | null {
  let name = tensor;
  let transposes = 0;
  const chain: onnx.INodeProto[] = [];
  for (let step = 0; step <= MAX_CHAIN; step++) {
    const init = lookupInitializer(index, name);
    if (init !== undefined) return { initializer: init, transposes, chain };
    const producer = lookupProducer(index, name)?.node;
    if (producer === undefined) return null;
    const op = producer.opType ?? '';
    if (op === 'Transpose') {
      const perm = intsAttr(producer, 'perm');
      if (!allowTranspose || (perm !== null && !(perm.length === 2 && perm[0] === 1 && perm[1] === 0))) return null;
      transposes++;
    } else if (op !== 'Cast' && op !== 'Identity') return null;
    chain.push(producer);
    name = producer.input?.[0] ?? '';
  }
  return null;
}
