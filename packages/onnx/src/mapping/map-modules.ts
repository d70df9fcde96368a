/**
 * The module mapping of a graph: PEFT module path → the MatMul/Gemm layers that implement it, from weight names,
 * exporter scopes and the caller's `moduleMap`; unmapped paths fail with the nearest candidates.
 * @module
 */
import type { ModuleInfo } from '@vblora/core';
import { ModuleMappingError } from '../errors.js';
import { indexGraph, type GraphIndex } from '../graph/graph-index.js';
import type { OnnxModel } from '../model-io/onnx-model.js';
import { findGraphModules, type FindModulesOptions } from './find-modules.js';
import type { GraphModule } from './graph-module.js';
import { nearestNames } from './nearest.js';

/** Options of {@link mapGraphModules}. */
export interface MapModulesOptions extends FindModulesOptions {
  /**
   * PEFT module path → the name of its MatMul/Gemm node or of its weight initializer, for layers whose names say
   * nothing (or to override what the names say).
   */
  readonly moduleMap?: Readonly<Record<string, string>>;
}

/** The layers of a graph, by PEFT module path. */
export interface ModuleMapping {
  /** The graph index the mapping was built on. */
  readonly index: GraphIndex;
  /** Every MatMul/Gemm layer with an initializer weight, in graph order, named or not. */
  readonly layers: readonly GraphModule[];
  /** Named layers by module path; a module called more than once lists every call. */
  readonly byPath: ReadonlyMap<string, readonly GraphModule[]>;
  /** The targeting input for `resolveTargets`: one entry per module path, in graph order. */
  readonly modules: readonly ModuleInfo[];
  /**
   * The layers of a module path.
   * @throws {ModuleMappingError} naming the nearest candidates when no layer maps to `path`, or when its calls use
   * different weights.
   */
  require(path: string): readonly GraphModule[];
}

function candidatesOf(layers: readonly GraphModule[]): string[] {
  const out: string[] = [];
  for (const l of layers) {
    if (l.path !== null) out.push(l.path);
    else out.push(...[l.node, l.weight].filter((n) => n !== ''));
  }
  return out;
}

function applyUserMap(layers: GraphModule[], moduleMap: Readonly<Record<string, string>>): void {
  for (const [path, target] of Object.entries(moduleMap)) {
    let hits = 0;
    layers.forEach((l, i) => {
      if (l.node === target || l.weight === target) {
        layers[i] = { ...l, path, source: 'user' };
        hits++;
      }
    });
    if (hits === 0) {
      const names = layers.flatMap((l) => [l.node, l.weight]).filter((n) => n !== '');
      const near = nearestNames(target, names);
      throw new ModuleMappingError(
        `moduleMap maps ${path} to "${target}", but no MatMul/Gemm node or weight initializer has that name; ` +
          `nearest: ${near.join(', ') || '(none)'}`,
        path,
        near,
      );
    }
  }
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
  const layers = findGraphModules(index, options);
  if (options.moduleMap !== undefined) applyUserMap(layers, options.moduleMap);
  const byPath = new Map<string, GraphModule[]>();
  for (const l of layers) {
    if (l.path === null) continue;
    const list = byPath.get(l.path);
    if (list === undefined) byPath.set(l.path, [l]);
    else list.push(l);
  }
  const modules: ModuleInfo[] = [...byPath.values()].map((uses) => {
    const l = uses[0]!;
    return { name: l.path!, kind: l.kind, inFeatures: l.inFeatures, outFeatures: l.outFeatures, hasBias: l.bias !== null };
  });
  const require = (path: string): readonly GraphModule[] => {
    const uses = byPath.get(path);
    if (uses === undefined) {
      const near = nearestNames(path, candidatesOf(layers));
      throw new ModuleMappingError(
        `no MatMul/Gemm layer of the ONNX graph maps to PEFT module ${path}; nearest: ${near.join(', ') || '(none)'}. ` +
          `Map it by hand with moduleMap: { "${path}": "<node or weight initializer name>" }`,
        path,
        near,
      );
    }
    const weights = new Set(uses.map((u) => u.weight));
    if (weights.size > 1) {
      throw new ModuleMappingError(
        `PEFT module ${path} maps to ${uses.length} layers with different weights (${[...weights].join(', ')}); ` +
          'pick one with moduleMap',
        path,
        [...weights],
      );
    }
    return uses;
  };
  return { index, layers, byPath, modules, require };
}
