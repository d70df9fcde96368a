/**
 * Look-ups over a graph: which node produces a tensor, which nodes consume it, which tensors are initializers.
 * A subgraph (an `If` branch) is indexed with its enclosing graph as `outer`, since it may read any value of the
 * graphs around it by name.
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
  /** Nodes of this graph by output name (not those of outer graphs: see {@link lookupProducer}). */
  readonly producer: ReadonlyMap<string, NodeRef>;
  /**
   * Nodes of this graph by input name. A node holding subgraphs (`If`, `Loop`, `Scan`) also consumes every value
   * its subgraphs read from this graph or beyond.
   */
  readonly consumers: ReadonlyMap<string, readonly NodeRef[]>;
  /** This graph's own initializers (not those of outer graphs: see {@link lookupInitializer}). */
  readonly initializers: ReadonlyMap<string, onnx.ITensorProto>;
  readonly graphOutputs: ReadonlySet<string>;
  /** The enclosing graph's index, for a subgraph. */
  readonly outer?: GraphIndex;
}

/** The subgraphs a node holds (`If`'s then/else branches, `Loop`/`Scan` bodies), with their attribute names. */
export function subgraphsOf(node: onnx.INodeProto): { attribute: string; graph: onnx.IGraphProto }[] {
  const out: { attribute: string; graph: onnx.IGraphProto }[] = [];
  for (const a of node.attribute ?? []) {
    if (a.g !== null && a.g !== undefined) out.push({ attribute: a.name ?? '', graph: a.g });
    (a.graphs ?? []).forEach((g, i) => out.push({ attribute: `${a.name ?? ''}[${i}]`, graph: g }));
  }
  return out;
}

/** Names a graph (and its own subgraphs) reads without defining them: the values it takes from outer scopes. */
export function freeNames(graph: onnx.IGraphProto): Set<string> {
  const defined = new Set<string>();
  for (const v of graph.input ?? []) defined.add(v.name ?? '');
  for (const t of graph.initializer ?? []) defined.add(t.name ?? '');
  for (const n of graph.node ?? []) for (const o of n.output ?? []) defined.add(o);
  const free = new Set<string>();
  const use = (name: string): void => {
    if (name !== '' && !defined.has(name)) free.add(name);
  };
  for (const n of graph.node ?? []) {
    for (const i of n.input ?? []) use(i);
    for (const s of subgraphsOf(n)) for (const i of freeNames(s.graph)) use(i);
  }
  for (const o of graph.output ?? []) use(o.name ?? '');
  return free;
}

/** Indexes a graph's nodes, initializers and outputs; `outer` is the enclosing graph's index for a subgraph. */
export function indexGraph(graph: onnx.IGraphProto, outer?: GraphIndex): GraphIndex {
  const producer = new Map<string, NodeRef>();
  const consumers = new Map<string, NodeRef[]>();
  const consume = (name: string, ref: NodeRef, once: boolean): void => {
    if (name === '') return;
    const list = consumers.get(name);
    if (list === undefined) consumers.set(name, [ref]);
    else if (!once || list[list.length - 1] !== ref) list.push(ref);
  };
  (graph.node ?? []).forEach((node, index) => {
    const ref = { node, index };
    for (const out of node.output ?? []) if (out !== '') producer.set(out, ref);
    for (const inp of node.input ?? []) consume(inp, ref, false);
    for (const s of subgraphsOf(node)) for (const name of freeNames(s.graph)) consume(name, ref, true);
  });
  const initializers = new Map<string, onnx.ITensorProto>();
  for (const t of graph.initializer ?? []) initializers.set(t.name ?? '', t);
  const graphOutputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  return outer === undefined
    ? { graph, producer, consumers, initializers, graphOutputs }
    : { graph, producer, consumers, initializers, graphOutputs, outer };
}

/** True when `name` is defined in this graph (input, initializer or node output), shadowing outer scopes. */
function definesLocally(index: GraphIndex, name: string): boolean {
  return (
    index.producer.has(name) || index.initializers.has(name) || (index.graph.input ?? []).some((v) => v.name === name)
  );
}

/** The initializer a name refers to in this graph or, when it is not defined here, in the graphs around it. */
export function lookupInitializer(index: GraphIndex, name: string): onnx.ITensorProto | undefined {
  for (let g: GraphIndex | undefined = index; g !== undefined; g = g.outer) {
    const t = g.initializers.get(name);
    if (t !== undefined) return t;
    if (definesLocally(g, name)) return undefined;
  }
  return undefined;
}

/**
 * The node that produces a name in this graph or in a graph around it, with the index of the graph it lives in
 * (`NodeRef.index` counts in that graph).
 */
export function lookupProducer(
  index: GraphIndex,
  name: string,
): (NodeRef & { readonly graph: GraphIndex }) | undefined {
  for (let g: GraphIndex | undefined = index; g !== undefined; g = g.outer) {
    const p = g.producer.get(name);
    if (p !== undefined) return { ...p, graph: g };
    if (definesLocally(g, name)) return undefined;
  }
  return undefined;
}
