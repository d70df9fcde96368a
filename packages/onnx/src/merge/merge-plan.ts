/**
 * What merging an adapter into an ONNX model changes: one new value per initializer (a merged weight, a trained
 * bias, a modules_to_save copy), each computed on demand so that only one is in memory at a time.
 * @module
 */
import {
  AdapterError,
  baseKeyOfExtra,
  DEFAULT_MAX_MEMORY_BYTES,
  DTYPE_BYTES,
  numel,
  composeAdapter,
  referenceBackend,
  requireKernel,
  type Backend,
  type HostTensor,
  UnsupportedError,
  type VBLoRAAdapter,
} from '@vblora/core';
import { castFloat } from '../host/cast-float.js';
import { transpose2d } from '../host/transpose-2d.js';
import type { OnnxModel } from '../model-io/onnx-model.js';
import { readTensorData, tensorDims, tensorDtype } from '../model-io/tensor-data.js';
import type { onnx } from '../proto.js';
import { adapterTargets } from '../mapping/adapter-targets.js';
import { baseTensorTarget } from '../mapping/base-tensor-target.js';
import type { ModuleMapping } from '../mapping/map-modules.js';
import { QUANTIZED_MERGE_REASON } from './quantized-reason.js';

/** One initializer that merging replaces. */
export interface MergeUpdate {
  readonly initializer: string;
  /** The PEFT module path or state-dict key it belongs to. */
  readonly source: string;
  /** Computes the new value (same dtype and shape as the initializer). */
  readonly compute: () => Promise<HostTensor>;
  /** Bytes that computing it allocates at most (the weight read, its float32 forms, the result, A and B). */
  readonly bytes: number;
}

/** Options of {@link planMerge}. */
export interface PlanMergeOptions {
  /** Backend whose `composeLowRank` and `merge` kernels run (default: the reference backend). */
  readonly backend?: Backend;
  /** PEFT's `safe_merge`: fail with a NumericalError naming the module if a merged weight is not finite. */
  readonly safe?: boolean;
  /** Memory budget for reading one weight (default `DEFAULT_MAX_MEMORY_BYTES`); see {@link MergeUpdate.bytes}. */
  readonly maxMemoryBytes?: number;
}

/**
 * Peak bytes of merging into a weight of `init`'s shape: the weight read (n·w), widened to float32 and summed
 * (2·n·4, one more for safe mode's check), rounded back (n·w), and the composed A and B (twice, for the compose
 * kernel's own buffers).
 */
function weightUpdateBytes(init: onnx.ITensorProto, r: number, safe: boolean): number {
  const dims = tensorDims(init);
  const n = numel(dims);
  const width = DTYPE_BYTES[tensorDtype(init)];
  const sides = dims.reduce((a, d) => a + d, 0);
  return 2 * n * width + (safe ? 3 : 2) * n * 4 + 2 * 4 * r * sides;
}

/** The updates of a merge and PEFT-targeting warnings. */
export interface MergePlan {
  readonly updates: readonly MergeUpdate[];
  readonly warnings: readonly string[];
}

/**
 * Plans the merge of an adapter into a mapped model: W ← round_dtype(W + ΔW) for every adapted layer (ΔW
 * transposed where the weight is stored (in, out)), and the adapter's other tensors over their base tensors.
 * @throws {ModuleMappingError} / {ShapeError} / {AdapterError} when the adapter does not fit the graph.
 */
export function planMerge(
  model: OnnxModel,
  mapping: ModuleMapping,
  adapter: VBLoRAAdapter,
  options: PlanMergeOptions = {},
): MergePlan {
  const backend = options.backend ?? referenceBackend;
  const mergeKernel = requireKernel(backend, 'merge');
  requireKernel(backend, 'composeLowRank');
  const { layers, warnings } = adapterTargets(mapping, adapter);
  const updates: MergeUpdate[] = [];
  const seen = new Map<string, string>();
  const claim = (initializer: string, source: string): void => {
    const other = seen.get(initializer);
    if (other !== undefined) {
      throw new AdapterError(
        `${source} and ${other} both change ONNX initializer ${initializer}; cannot merge both`,
        source,
      );
    }
    seen.set(initializer, source);
  };
  const quantized = [...layers]
    .filter(([, uses]) => uses[0]!.format !== 'float')
    .map(([path, uses]) => `${path} (${uses[0]!.opType})`);
  if (quantized.length > 0) {
    // refused here, before anything is composed or written (mergeOnnxModelAnyFormat requantizes when asked)
    const list =
      quantized.length > 3
        ? `${quantized.slice(0, 3).join(', ')} and ${quantized.length - 3} more`
        : quantized.join(', ');
    throw new UnsupportedError(
      `the adapted layers ${list} are quantized: a float merge cannot change them. ${QUANTIZED_MERGE_REASON}`,
    );
  }
  for (const [path, uses] of layers) {
    const layer = uses[0]!;
    const init = mapping.index.initializers.get(layer.weight)!;
    claim(layer.weight, path);
    updates.push({
      initializer: layer.weight,
      source: path,
      bytes: weightUpdateBytes(init, adapter.config.r, options.safe ?? false),
      compute: async () => {
        const weight = await readTensorData(model, init, {
          maxMemoryBytes: options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES,
        });
        if (weight.dtype !== 'f32' && weight.dtype !== 'bf16' && weight.dtype !== 'f16') {
          throw new AdapterError(
            `${path}: weight ${layer.weight} is ${weight.dtype}; merging needs f32, bf16 or f16`,
            path,
          );
        }
        const { A, B } = (await composeAdapter(adapter, { backend, modules: [path] })).get(path)!;
        return mergeKernel({
          weight: weight as HostTensor<'f32' | 'bf16' | 'f16'>,
          A,
          B,
          fanInFanOut: layer.layout === 'in_out',
          safe: options.safe ?? false,
          adapter: adapter.name,
          module: path,
        });
      },
    });
  }
  for (const [key, t] of adapter.extraTensors) {
    const target = baseTensorTarget(mapping, baseKeyOfExtra(key), t.shape);
    claim(target.initializer, key);
    const init = mapping.index.initializers.get(target.initializer)!;
    updates.push({
      initializer: target.initializer,
      source: key,
      bytes: 2 * 4 * numel(t.shape), // cast, then transposed
      compute: async () => {
        const cast = castFloat(t, tensorDtype(init), key);
        return target.transposed ? transpose2d(cast) : cast;
      },
    });
  }
  return { updates, warnings };
}
