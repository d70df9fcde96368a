/**
 * Base tensors an adapter may replace per run (trained biases, modules_to_save copies) become graph inputs.
 * onnxruntime-node does not pass feeds for initializers that double as inputs (ONNX's "input with a default"), so
 * the tensor becomes a plain input and its base value stays in the model as the initializer
 * `vblora.default.<name>`, which `AdapterSession` feeds when an adapter does not replace it. JavaScript cannot
 * feed bf16, so a bf16 tensor is fed as float32 (exact) and Cast back to bf16 in the graph.
 * @module
 */
import { UnsupportedError } from '@vblora/core';
import type { GraphBuilder } from '../graph/graph-builder.js';
import { valueInfo } from '../graph/graph-builder.js';
import { tensorDims, tensorDtype } from '../model-io/tensor-data.js';
import { baseTensorTarget } from '../mapping/base-tensor-target.js';
import type { ModuleMapping } from '../mapping/map-modules.js';
import type { onnx } from '../proto.js';
import type { InjectedOverride } from './injection-info.js';
import { defaultInitializer, overrideInput } from './input-names.js';

/** What making tensors overridable adds to the graph, and which initializers it renames. */
export interface OverridePlan {
  readonly overrides: InjectedOverride[];
  readonly inputs: onnx.IValueInfoProto[];
  /** Original initializer name → the same tensor under its default name. */
  readonly renamed: Map<string, onnx.ITensorProto>;
}

/** Makes each PyTorch key in `keys` overridable; Cast nodes (bf16) go into `g`. */
export function planOverrides(mapping: ModuleMapping, keys: readonly string[], g: GraphBuilder): OverridePlan {
  const plan: OverridePlan = { overrides: [], inputs: [], renamed: new Map() };
  for (const key of new Set(keys)) {
    const target = baseTensorTarget(mapping, key, null);
    const name = target.initializer;
    const init = mapping.index.initializers.get(name);
    if (init === undefined) {
      throw new UnsupportedError(
        `${key}: its initializer ${name} lives inside a subgraph; only top-level tensors can become inputs`,
      );
    }
    const dtype = tensorDtype(init);
    const shape = tensorDims(init);
    const fallback = defaultInitializer(name);
    plan.renamed.set(name, { ...init, name: fallback }); // same data, no copy
    if (dtype === 'f32' || dtype === 'f16') {
      plan.inputs.push(valueInfo(name, dtype, shape));
      plan.overrides.push({ key, input: name, dtype, shape, transposed: target.transposed, default: fallback });
    } else if (dtype === 'bf16') {
      const input = overrideInput(name);
      plan.inputs.push(valueInfo(input, 'f32', shape));
      // widening bf16 → f32 is exact, so the Cast gives back the original bits
      g.op('Cast', [input], { to: { i: 16 } }, { name: `vblora/override/${name}`, outputs: [name] });
      plan.overrides.push({ key, input, dtype: 'f32', shape, transposed: target.transposed, default: fallback });
    } else {
      throw new UnsupportedError(`${key}: initializer ${name} is ${dtype}; only float tensors can be overridden`);
    }
  }
  return plan;
}
