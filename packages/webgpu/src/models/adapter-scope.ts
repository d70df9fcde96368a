/**
 * What one forward needs from an adapter, on the GPU: the A/B pair of each adapted module and the base tensors
 * the adapter replaces (modules_to_save copies, trained biases). Host tensors are uploaded for the call and
 * freed after it; GPU pairs are used as they are and left to their owner.
 * @module
 */
import {
  AdapterError,
  baseKeyOfExtra,
  formatShape,
  isFloatDType,
  ShapeError,
  toF32,
  type HostTensor,
  type LowRankPair,
} from '@vblora/core';
import type { GpuLowRankPair } from '../ops/compose.js';
import { GpuTensor } from '../runtime/gpu-tensor.js';
import type { WebGpuRuntime } from '../webgpu-runtime.js';
import type { ToyLinearSpec } from './toy-llama-layout.js';

/** An adapter for a GPU toy model: A/B per module path, and the base tensors it replaces. */
export interface GpuModelAdapter {
  /** A (r, in) and B (out, r) per module path, on the host (uploaded per call) or already on the GPU. */
  readonly pairs: ReadonlyMap<string, LowRankPair | GpuLowRankPair>;
  /**
   * Base tensors the adapter replaces, keyed as in the adapter file (`base_model.model.head.weight`: a
   * modules_to_save copy; `….base_layer.bias`: a trained bias) or as in the state dict (`head.weight`).
   * Pass a VB-LoRA adapter's `extraTensors`.
   */
  readonly extraTensors?: ReadonlyMap<string, HostTensor>;
}

/** The adapter's tensors for one forward; `dispose()` frees what was uploaded for it. @internal */
export interface AdapterScope {
  pair(path: string): GpuLowRankPair | undefined;
  /** The replacement of state-dict tensor `key`, if the adapter carries one. */
  replaced(key: string): GpuTensor<'f32'> | undefined;
  dispose(): void;
}

const EMPTY: AdapterScope = { pair: () => undefined, replaced: () => undefined, dispose: () => undefined };

function shapeOf(t: HostTensor | GpuTensor): readonly number[] {
  return t.shape;
}

/**
 * Checks an adapter against the model's linear modules and uploads its host tensors.
 * @throws {AdapterError} for a module or base tensor the model does not have; `ShapeError` for A, B or a
 * replacement tensor of the wrong shape.
 * @internal
 */
export function openAdapterScope(
  rt: WebGpuRuntime,
  linears: readonly ToyLinearSpec[],
  baseShapes: ReadonlyMap<string, readonly number[]>,
  adapter: GpuModelAdapter | ReadonlyMap<string, LowRankPair | GpuLowRankPair> | undefined,
): AdapterScope {
  if (adapter === undefined) return EMPTY;
  const { pairs, extraTensors = new Map<string, HostTensor>() } =
    'pairs' in adapter ? adapter : { pairs: adapter, extraTensors: undefined };
  const byPath = new Map(linears.map((l) => [l.path, l]));
  for (const [path, { A, B }] of pairs) {
    const spec = byPath.get(path);
    if (spec === undefined) {
      throw new AdapterError(`the adapter has module ${path}, which is not a linear layer of this model`, path);
    }
    const [a, b] = [shapeOf(A), shapeOf(B)];
    const r = a[0];
    if (a.length !== 2 || b.length !== 2 || a[1] !== spec.inFeatures || b[0] !== spec.outFeatures || b[1] !== r) {
      throw new ShapeError(
        `${path}: A must be (r, ${spec.inFeatures}) and B (${spec.outFeatures}, r), got A ${formatShape(a)} and ` +
          `B ${formatShape(b)}`,
        path,
      );
    }
  }
  const uploaded: GpuTensor[] = [];
  const up = (t: HostTensor, arg: string): GpuTensor<'f32'> => {
    const g = rt.upload(toF32(t), arg);
    uploaded.push(g);
    return g;
  };
  try {
    const gpuPairs = new Map<string, GpuLowRankPair>();
    for (const [path, { A, B }] of pairs) {
      gpuPairs.set(path, {
        A: A instanceof GpuTensor ? (A as GpuTensor<'f32'>) : up(A, `${path}.A`),
        B: B instanceof GpuTensor ? (B as GpuTensor<'f32'>) : up(B, `${path}.B`),
      });
    }
    const replacements = new Map<string, GpuTensor<'f32'>>();
    for (const [fileKey, t] of extraTensors) {
      const key = baseKeyOfExtra(fileKey);
      const base = baseShapes.get(key);
      if (base === undefined) {
        throw new AdapterError(`the adapter carries ${fileKey} but the model has no ${key} to replace`, key);
      }
      if (!isFloatDType(t.dtype) || t.shape.length !== base.length || t.shape.some((d, i) => d !== base[i])) {
        throw new ShapeError(
          `${fileKey} (${t.dtype} ${formatShape(t.shape)}) cannot replace ${key} ${formatShape(base)}`,
          key,
        );
      }
      replacements.set(key, up(t, fileKey));
    }
    return {
      pair: (path) => gpuPairs.get(path),
      replaced: (key) => replacements.get(key),
      dispose: () => {
        for (const g of uploaded) g.dispose();
      },
    };
  } catch (e) {
    for (const g of uploaded) g.dispose();
    throw e;
  }
}
