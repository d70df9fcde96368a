/**
 * Look-ups over a graph: which node produces a tensor, which nodes consume it, which tensors are initializers.
 * @module
 */
import type { onnx } from '../proto.js';

/** A node and its position in the graph's node list. */
export interface NodeRef {
  readonly node: onnx.INodeProto;
  readonly index: number;
}

/** Producer/consumer maps of one graph. */
export interface GraphIndex {
  readonly graph: onnx.IGraphProto;
  readonly producer: ReadonlyMap<string, NodeRef>;
  readonly consumers: ReadonlyMap<string, readonly NodeRef[]>;
  readonly initializers: ReadonlyMap<string, onnx.ITensorProto>;
  readonly graphOutputs: ReadonlySet<string>;
}

/** Indexes a graph's nodes, initializers and outputs. */
export function indexGraph(graph: onnx.IGraphProto): GraphIndex {
  const producer = new Map<string, NodeRef>();
  const consumers = new Map<string, NodeRef[]>();
  (graph.node ?? []).forEach((node, index) => {
    for (const out of node.output ?? []) if (out !== '') producer.set(out, { node, index });
    for (const inp of node.input ?? []) {
      if (inp === '') continue;
      const list = consumers.get(inp);
      if (list === undefined) consumers.set(inp, [{ node, index }]);
      else list.push({ node, index });
    }
  });
  const initializers = new Map<string, onnx.ITensorProto>();
  for (const t of graph.initializer ?? []) initializers.set(t.name ?? '', t);
  const graphOutputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  return { graph, producer, consumers, initializers, graphOutputs };
}
