/**
 * Base tensors an adapter may replace per run (trained biases, modules_to_save copies). An f32/f16 initializer is
 * simply listed as a graph input too — ONNX's way of giving an input a default. JavaScript cannot feed bf16, so a
 * bf16 initializer is replaced by an exact f32 copy (input with default) and a Cast back to bf16.
 * @module
 */
import { toF32, UnsupportedError } from '@vblora/core';
import type { GraphBuilder } from '../graph/graph-builder.js';
import { valueInfo } from '../graph/graph-builder.js';
import type { OnnxModel } from '../model-io/onnx-model.js';
import { readTensorData, tensorDims, tensorDtype, tensorProtoFromHost } from '../model-io/tensor-data.js';
import { baseTensorTarget } from '../mapping/base-tensor-target.js';
import type { ModuleMapping } from '../mapping/map-modules.js';
import type { onnx } from '../proto.js';
import type { InjectedOverride } from './injection-info.js';
import { overrideInput } from './input-names.js';

/** What making tensors overridable adds to and removes from the graph. */
export interface OverridePlan {
  readonly overrides: InjectedOverride[];
  readonly inputs: onnx.IValueInfoProto[];
  /** Initializers replaced by an f32 stand-in (bf16 ones), by name. */
  readonly replacedInitializers: Map<string, onnx.ITensorProto>;
}

/** Makes each PyTorch key in `keys` overridable; Cast nodes go into `g`. */
export async function planOverrides(
  model: OnnxModel,
  mapping: ModuleMapping,
  keys: readonly string[],
  g: GraphBuilder,
): Promise<OverridePlan> {
  const plan: OverridePlan = { overrides: [], inputs: [], replacedInitializers: new Map() };
  for (const key of new Set(keys)) {
    const target = baseTensorTarget(mapping, key, null);
    const init = mapping.index.initializers.get(target.initializer)!;
    const dtype = tensorDtype(init);
    const shape = tensorDims(init);
    if (dtype === 'f32' || dtype === 'f16') {
      plan.inputs.push(valueInfo(target.initializer, dtype, shape));
      plan.overrides.push({ key, input: target.initializer, dtype, shape, transposed: target.transposed });
    } else if (dtype === 'bf16') {
      const input = overrideInput(target.initializer);
      const widened = toF32(await readTensorData(model, init));
      const copy = tensorProtoFromHost(input, { ...widened, data: Float32Array.from(widened.data) });
      plan.replacedInitializers.set(target.initializer, copy);
      plan.inputs.push(valueInfo(input, 'f32', shape));
      // widening bf16 → f32 is exact, so the Cast gives back the original bits
      g.op('Cast', [input], { to: { i: 16 } }, { name: `vblora/override/${target.initializer}`, outputs: [target.initializer] });
      plan.overrides.push({ key, input, dtype: 'f32', shape, transposed: target.transposed });
    } else {
      throw new UnsupportedError(`${key}: initializer ${target.initializer} is ${dtype}; only float tensors can be overridden`);
    }
  }
  return plan;
}
