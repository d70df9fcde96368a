/**
 * The module mapping of a graph: PEFT module path → the layers that implement it (float, 4-bit or 8-bit, in the
 * top-level graph or in `If` branches), from weight names, exporter scopes and the caller's `moduleMap`; unmapped
 * paths fail with the nearest candidates, paths of layers that cannot be adapted with the reason.
 * @module
 */
import type { ModuleInfo } from '@vblora/core';
import { ModuleMappingError } from '../errors.js';
import { indexGraph, lookupInitializer, type GraphIndex } from '../graph/graph-index.js';
import type { OnnxModel } from '../model-io/onnx-model.js';
import type { onnx } from '../proto.js';
import { scanGraphModules, type FindModulesOptions } from './find-modules.js';
import { subgraphKey, subgraphLabel, type GraphModule, type UnsupportedLayer } from './graph-module.js';
import { SUPPORTED_LAYERS } from './layer-detect.js';
import { nearestNames } from './nearest.js';

/** Options of {@link mapGraphModules}. */
export interface MapModulesOptions extends FindModulesOptions {
  /**
   * PEFT module path → the name of its layer node (MatMul, Gemm, MatMulNBits, MatMulInteger, ...) or of its weight
   * initializer, for layers whose names say nothing (or to override what the names say).
   */
  readonly moduleMap?: Readonly<Record<string, string>>;
}

/** The layers of a graph, by PEFT module path. */
export interface ModuleMapping {
  /** The index of the top-level graph the mapping was built on. */
  readonly index: GraphIndex;
  /** Index of each graph holding layers, by `subgraphKey(layer.subgraph)` ('' for the top level). */
  readonly graphs: ReadonlyMap<string, GraphIndex>;
  /** Every adaptable layer with an initializer weight, in graph order, named or not. */
  readonly layers: readonly GraphModule[];
  /** Nodes that apply a weight but cannot carry a VB-LoRA branch (`QLinearMatMul`, QDQ weights, ...). */
  readonly unsupported: readonly UnsupportedLayer[];
  /** Named layers by module path; a module called more than once lists every call. */
  readonly byPath: ReadonlyMap<string, readonly GraphModule[]>;
  /** The targeting input for `resolveTargets`: one entry per module path, in graph order. */
  readonly modules: readonly ModuleInfo[];
  /**
   * The layers of a module path: every call of the module, in every graph (both branches of a merged decoder).
   * @throws {ModuleMappingError} naming the nearest candidates when no layer maps to `path`; naming the node and
   * the reason when the path's layer cannot be adapted; or when its calls within one graph use different weights.
   */
  require(path: string): readonly GraphModule[];
  /**
   * An initializer by name as the layer's graph sees it: its own, or one of a graph around it (`If` branches read
   * the weights of the top-level graph). Defaults to the layer's weight.
   */
  initializer(layer: GraphModule, name?: string): onnx.ITensorProto | undefined;
}

function candidatesOf(layers: readonly GraphModule[]): string[] {
  const out: string[] = [];
  for (const l of layers) {
    if (l.path !== null) out.push(l.path);
    else out.push(...[l.node, l.weight].filter((n) => n !== ''));
  }
  return out;
}

function applyUserMap(
  layers: GraphModule[],
  unsupported: UnsupportedLayer[],
  moduleMap: Readonly<Record<string, string>>,
): void {
  for (const [path, target] of Object.entries(moduleMap)) {
    let hits = 0;
    layers.forEach((l, i) => {
      if (l.node === target || l.weight === target) {
        layers[i] = { ...l, path, source: 'user' };
        hits++;
      }
    });
    unsupported.forEach((u, i) => {
      if (u.node === target) {
        unsupported[i] = { ...u, path };
        hits++;
      }
    });
    if (hits === 0) {
      const names = layers.flatMap((l) => [l.node, l.weight]).filter((n) => n !== '');
      const near = nearestNames(target, names);
      throw new ModuleMappingError(
        `moduleMap maps ${path} to "${target}", but no layer node or weight initializer has that name; ` +
          `nearest: ${near.join(', ') || '(none)'}`,
        path,
        near,
      );
    }
  }
}

function unsupportedError(path: string, u: UnsupportedLayer): ModuleMappingError {
  const where = u.subgraph.length === 0 ? '' : ` (in ${subgraphLabel(u.subgraph)})`;
  return new ModuleMappingError(
    `PEFT module ${path} maps to ${u.opType} node "${u.node}"${where}, which cannot carry a VB-LoRA branch: ${u.reason}. ` +
      `Supported layers: ${SUPPORTED_LAYERS}`,
    path,
    [u.node],
  );
}

/**
 * Maps the adaptable layers of an ONNX graph to PEFT module paths.
 * @example
 * ```ts
 * const mapping = mapGraphModules(await readOnnxModel('model.onnx'));
 * const [q] = mapping.require('model.layers.0.self_attn.q_proj'); // its MatMul node, weight, layout, ...
 * ```
 */
export function mapGraphModules(model: OnnxModel | GraphIndex, options: MapModulesOptions = {}): ModuleMapping {
  const index = 'proto' in model ? indexGraph(model.proto.graph!) : model;
  const { layers, unsupported, graphs } = scanGraphModules(index, options);
  if (options.moduleMap !== undefined) applyUserMap(layers, unsupported, options.moduleMap);
  const byPath = new Map<string, GraphModule[]>();
  for (const l of layers) {
    if (l.path === null) continue;
    const list = byPath.get(l.path);
    if (list === undefined) byPath.set(l.path, [l]);
    else list.push(l);
  }
  const unsupportedByPath = new Map<string, UnsupportedLayer>();
  for (const u of unsupported) if (u.path !== null && !unsupportedByPath.has(u.path)) unsupportedByPath.set(u.path, u);
  const modules: ModuleInfo[] = [...byPath.values()].map((uses) => {
    const l = uses[0]!;
    return {
      name: l.path!,
      kind: l.kind,
      inFeatures: l.inFeatures,
      outFeatures: l.outFeatures,
      hasBias: l.bias !== null,
    };
  });
  // PEFT would target these too: listing them makes targeting pick them, and require() then says why they fail
  for (const [path, u] of unsupportedByPath) {
    if (!byPath.has(path) && u.inFeatures > 0 && u.outFeatures > 0) {
      modules.push({
        name: path,
        kind: 'linear',
        inFeatures: u.inFeatures,
        outFeatures: u.outFeatures,
        hasBias: false,
      });
    }
  }
  const require = (path: string): readonly GraphModule[] => {
    const bad = unsupportedByPath.get(path);
    if (bad !== undefined) throw unsupportedError(path, bad);
    const uses = byPath.get(path);
    if (uses === undefined) {
      const near = nearestNames(path, candidatesOf(layers));
      throw new ModuleMappingError(
        `no layer (MatMul, Gemm, MatMulNBits, MatMulInteger, ...) of the ONNX graph maps to PEFT module ${path}; nearest: ${near.join(', ') || '(none)'}. ` +
          `Map it by hand with moduleMap: { "${path}": "<node or weight initializer name>" }`,
        path,
        near,
      );
    }
    // within one graph a module is one weight; each If branch may hold its own copy of the model's weights
    const perGraph = new Map<string, Set<string>>();
    for (const u of uses) {
      const key = subgraphKey(u.subgraph);
      perGraph.set(key, (perGraph.get(key) ?? new Set()).add(u.weight));
    }
    for (const weights of perGraph.values()) {
      if (weights.size > 1) {
        throw new ModuleMappingError(
          `PEFT module ${path} maps to ${uses.length} layers with different weights (${[...weights].join(', ')}); ` +
            'pick one with moduleMap',
          path,
          [...weights],
        );
      }
    }
    return uses;
  };
  const initializer = (layer: GraphModule, name: string = layer.weight): onnx.ITensorProto | undefined =>
    lookupInitializer(graphs.get(subgraphKey(layer.subgraph)) ?? index, name);
  return { index, graphs, layers, unsupported, byPath, modules, require, initializer };
}
