/**
 * Where a base-model tensor named as in PyTorch (`head.weight`, `model.layers.1.mlp.up_proj.bias`) lives in an
 * ONNX graph: an initializer of that name, or the weight/bias initializer of the mapped layer (whose weight may be
 * stored transposed). Used for the tensors an adapter carries besides VB-LoRA (trained biases, modules_to_save).
 * @module
 */
import { AdapterError, formatShape, sameShape, ShapeError, UnsupportedError } from '@vblora/core';
import { tensorDims } from '../model-io/tensor-data.js';
import type { ModuleMapping } from './map-modules.js';

/** The initializer that holds a PyTorch tensor, and whether its storage is the transpose of PyTorch's layout. */
export interface BaseTensorTarget {
  readonly key: string;
  readonly initializer: string;
  readonly transposed: boolean;
}

/**
 * Finds the initializer of a PyTorch state-dict key, checking its shape unless `shape` is null.
 * @throws {AdapterError} when the graph has no such tensor.
 * @throws {ShapeError} when it has one of another shape.
 * @throws {UnsupportedError} when it is the weight of a quantized layer.
 */
export function baseTensorTarget(
  mapping: ModuleMapping,
  key: string,
  shape: readonly number[] | null,
): BaseTensorTarget {
  const { initializers } = mapping.index;
  const dot = key.lastIndexOf('.');
  const path = key.slice(0, dot);
  const leaf = key.slice(dot + 1);
  const layer = mapping.byPath.get(path)?.[0];
  const check = (name: string, transposed: boolean): BaseTensorTarget => {
    const init = (layer === undefined ? undefined : mapping.initializer(layer, name)) ?? initializers.get(name);
    if (init === undefined) throw new AdapterError(`${key}: initializer ${name} is not in the ONNX graph`, key);
    const dims = tensorDims(init);
    if (shape === null) return { key, initializer: name, transposed };
    const want = transposed ? [...shape].reverse() : shape;
    if (!sameShape(dims, want)) {
      throw new ShapeError(
        `${key} has shape ${formatShape(shape)}, but its ONNX initializer ${name} is ${formatShape(dims)}`,
        key,
      );
    }
    return { key, initializer: name, transposed };
  };
  if (layer !== undefined && leaf === 'weight') {
    if (layer.format !== 'float') {
      throw new UnsupportedError(
        `${key}: the ONNX layer stores this weight quantized (${layer.format}, ${layer.weight}); it cannot be replaced`,
      );
    }
    const torchLayout = layer.kind === 'linear' ? 'out_in' : 'in_out';
    return check(layer.weight, torchLayout !== layer.layout);
  }
  if (layer !== undefined && leaf === 'bias' && layer.bias !== null) return check(layer.bias, false);
  if (initializers.has(key)) return check(key, false);
  throw new AdapterError(
    `the adapter carries ${key}, but the ONNX graph has no initializer or mapped layer for it`,
    key,
  );
}
