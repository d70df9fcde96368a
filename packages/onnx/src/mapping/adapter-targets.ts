/**
 * Checking an adapter against a graph's module mapping: every adapted module must map to a layer of the right
 * size; PEFT's targeting rules (run on the graph's modules with the adapter's config) are compared with the
 * modules the adapter file holds, and differences reported as warnings.
 * @module
 */
import { ShapeError, resolveTargets, type VBLoRAAdapter } from '@vblora/core';
import type { GraphModule } from './graph-module.js';
import type { ModuleMapping } from './map-modules.js';

/** The layers of each adapted module, and what PEFT's targeting says differently. */
export interface AdapterTargets {
  /** Module path → its layers, in the adapter's module order. */
  readonly layers: ReadonlyMap<string, readonly GraphModule[]>;
  /** Differences between the adapter's modules and PEFT's targeting of this graph. */
  readonly warnings: readonly string[];
}

/**
 * Maps every module of an adapter to its graph layers.
 * @throws {ModuleMappingError} when a module has no layer (with the nearest candidates).
 * @throws {ShapeError} when a layer's in/out features differ from the adapter's.
 */
export function adapterTargets(mapping: ModuleMapping, adapter: VBLoRAAdapter): AdapterTargets {
  const layers = new Map<string, readonly GraphModule[]>();
  for (const m of adapter.modules.values()) {
    const uses = mapping.require(m.path);
    const l = uses[0]!;
    if (l.inFeatures !== m.inFeatures || l.outFeatures !== m.outFeatures) {
      throw new ShapeError(
        `${m.path}: the ONNX layer (${l.opType} ${l.node || l.weight}) has in=${l.inFeatures}, out=${l.outFeatures}, ` +
          `the adapter needs in=${m.inFeatures}, out=${m.outFeatures}: is it the right base model?`,
        m.path,
      );
    }
    layers.set(m.path, uses);
  }
  const warnings: string[] = [];
  try {
    const { targets, warnings: peft } = resolveTargets(mapping.modules, adapter.config);
    warnings.push(...peft);
    const targeted = new Set(targets.map((t) => t.name));
    for (const path of layers.keys()) {
      if (!targeted.has(path))
        warnings.push(`${path}: in the adapter, but its config does not target it in this graph`);
    }
    for (const t of targets) {
      if (!layers.has(t.name))
        warnings.push(`${t.name}: targeted by the adapter's config, but the adapter has no weights for it`);
    }
  } catch (err) {
    warnings.push(`PEFT's targeting fails on this graph: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { layers, warnings };
}
