/**
 * Putting branch nodes into a graph and into the `If` branches inside it: each layer's output producer gets its
 * output renamed to `<output>/vblora_base`, and the layer's branch nodes follow it, writing the original name, so
 * the rest of the graph reads the adapted value unchanged. Branch nodes inside a subgraph read the adapter's
 * inputs and shared tensors of the top-level graph through outer scope.
 * @internal
 * @module
 */
import type { GraphBuilder } from '../graph/graph-builder.js';
import { subgraphKey, type GraphModule } from '../mapping/graph-module.js';
import type { onnx } from '../proto.js';

/** The branch of one layer use, built into its own builder. */
export interface PlacedBranch {
  readonly layer: GraphModule;
  readonly builder: GraphBuilder;
}

/** The name a layer's original output gets. */
export function baseOutputName(layer: GraphModule): string {
  return `${layer.output}/vblora_base`;
}

const childKey = (parent: string, nodeIndex: number, attribute: string): string =>
  `${parent === '' ? '' : `${parent}/`}${nodeIndex}.${attribute}`;

/**
 * The graph with its branches (and those of its `If` subgraphs, recursively) in place. `key` is the graph's
 * {@link subgraphKey}; graphs without branches below them are returned as they are.
 */
export function rewriteGraph(
  graph: onnx.IGraphProto,
  key: string,
  branches: readonly PlacedBranch[],
): onnx.IGraphProto {
  const keys = new Set(branches.map((b) => subgraphKey(b.layer.subgraph)));
  const below = (k: string): boolean => [...keys].some((x) => k === '' || x === k || x.startsWith(`${k}/`));
  if (!below(key)) return graph;
  const here = branches.filter((b) => subgraphKey(b.layer.subgraph) === key);
  const after = new Map<number, PlacedBranch[]>();
  for (const b of here) after.set(b.layer.outputNodeIndex, [...(after.get(b.layer.outputNodeIndex) ?? []), b]);
  const nodes: onnx.INodeProto[] = [];
  (graph.node ?? []).forEach((node, i) => {
    let n = node;
    const mine = after.get(i) ?? [];
    if (mine.length > 0) {
      const renames = new Map(mine.map((b) => [b.layer.output, baseOutputName(b.layer)]));
      n = { ...n, output: (n.output ?? []).map((o) => renames.get(o) ?? o) };
    }
    if ((n.attribute ?? []).some((a) => a.g !== null && a.g !== undefined && below(childKey(key, i, a.name ?? '')))) {
      n = {
        ...n,
        attribute: (n.attribute ?? []).map((a) =>
          a.g === null || a.g === undefined
            ? a
            : { ...a, g: rewriteGraph(a.g, childKey(key, i, a.name ?? ''), branches) },
        ),
      };
    }
    nodes.push(n);
    for (const b of mine) nodes.push(...b.builder.nodes);
  });
  return { ...graph, node: nodes };
}
