/**
 * Finding the adaptable layers of an ONNX graph and of the branches of its `If` nodes (merged decoders keep their
 * layers there): every node that applies an initializer weight to an activation, in float or quantized form (see
 * `layer-detect.ts`), with its layout, bias, output and module path.
 * @module
 */
import { indexGraph, subgraphsOf, type GraphIndex } from '../graph/graph-index.js';
import type { GraphModule, SubgraphStep, UnsupportedLayer } from './graph-module.js';
import { subgraphKey } from './graph-module.js';
import { detectLayer } from './layer-detect.js';
import { pathOf } from './layer-parts.js';

/** Options of {@link findGraphModules}. */
export interface FindModulesOptions {
  /** Overrides the PEFT layer type of a module path (default: from the weight layout and name). */
  readonly kindOf?: (path: string) => 'linear' | 'conv1d' | undefined;
}

/** Everything a scan of a model's graphs finds. */
export interface GraphScan {
  /** Adaptable layers in graph order (a subgraph's layers right after the `If` node that holds them). */
  readonly layers: GraphModule[];
  /** Nodes that apply a weight but cannot carry a branch, with the reason. */
  readonly unsupported: UnsupportedLayer[];
  /** Index of every graph scanned, by {@link subgraphKey} ('' for the top level). */
  readonly graphs: Map<string, GraphIndex>;
}

function scan(index: GraphIndex, steps: readonly SubgraphStep[], options: FindModulesOptions, out: GraphScan): void {
  out.graphs.set(subgraphKey(steps), index);
  (index.graph.node ?? []).forEach((node, i) => {
    const found = detectLayer(index, node, i);
    const name = node.name ?? '';
    if (found !== null && 'layer' in found) {
      const l = found.layer;
      const { path, source } = pathOf(l.weight, name);
      const guessed = source === 'initializer' && l.layout === 'in_out' ? 'conv1d' : 'linear';
      const kind = (path !== null ? options.kindOf?.(path) : undefined) ?? guessed;
      out.layers.push({ path, source, kind, ...l, node: name, nodeIndex: i, subgraph: steps });
    } else if (found !== null) {
      out.unsupported.push({
        path: pathOf(found.weight, name).path,
        node: name,
        nodeIndex: i,
        opType: node.opType ?? '',
        reason: found.unsupported,
        inFeatures: found.inFeatures,
        outFeatures: found.outFeatures,
        subgraph: steps,
      });
    }
    // merged decoders keep their layers in If branches; Loop/Scan bodies run per step and are not layers of ours
    if (node.opType === 'If' && ((node.domain ?? '') === '' || node.domain === 'ai.onnx')) {
      for (const s of subgraphsOf(node)) {
        scan(
          indexGraph(s.graph, index),
          [...steps, { node: name, nodeIndex: i, attribute: s.attribute }],
          options,
          out,
        );
      }
    }
  });
}

/** Scans a graph and its `If` branches for layers, unsupported layers, and the index of each graph. */
export function scanGraphModules(index: GraphIndex, options: FindModulesOptions = {}): GraphScan {
  const out: GraphScan = { layers: [], unsupported: [], graphs: new Map() };
  scan(index, [], options, out);
  return out;
}

/** Every adaptable layer of the graph and its `If` branches, in graph order (named or not). */
export function findGraphModules(index: GraphIndex, options: FindModulesOptions = {}): GraphModule[] {
  return scanGraphModules(index, options).layers;
}
