/**
 * Merge mode: write a new ONNX model whose initializers hold W + ΔW (dtype kept, PEFT's rounding), the graph
 * otherwise untouched.
 * @module
 */
import { checkMemoryBudget, DEFAULT_MAX_MEMORY_BYTES, type Backend, type VBLoRAAdapter } from '@vblora/core';
import { writeFileAtomic } from '@vblora/core/node';
import { OnnxModelError } from '../errors.js';
import { indexGraph } from '../graph/graph-index.js';
import type { OnnxModel } from '../model-io/onnx-model.js';
import { hostBytes, storageOf } from '../model-io/tensor-data.js';
import { refuseOverwritingInputs } from '../model-io/write-files.js';
import { writeOnnxModel, type ExternalDataMode } from '../model-io/write-model.js';
import { mapGraphModules, type MapModulesOptions } from '../mapping/map-modules.js';
import { planMerge } from './merge-plan.js';

/** Options of {@link mergeOnnxModel} and `mergeOnnxFile`. */
export interface MergeOnnxOptions extends MapModulesOptions {
  /** Backend whose `composeLowRank` and `merge` kernels run (default: the reference backend). */
  readonly backend?: Backend;
  /** PEFT's `safe_merge`: fail with a NumericalError naming the module if a merged weight is not finite. */
  readonly safe?: boolean;
  /** Where tensor data go in the output (default `'keep'`: as in the input; see `writeOnnxModel`). */
  readonly externalData?: ExternalDataMode;
  /** Called after each replaced initializer with the number done, the total and the module or tensor key. */
  readonly onProgress?: (done: number, total: number, source: string) => void;
  /**
   * Memory budget in bytes (default `DEFAULT_MAX_MEMORY_BYTES`, 4 GiB; the CLI's `--max-memory`): the model held
   * in memory plus the largest merged weight with its temporaries must fit, checked before anything is computed.
   */
  readonly maxMemoryBytes?: number;
  /** Cap on the bytes written (see `writeOnnxModel`; default twice the input plus 64 MiB). */
  readonly maxOutputBytes?: number;
}

/** What a merge did. */
export interface MergeOnnxReport {
  readonly path: string;
  /** External data file written beside the model, or null. */
  readonly dataPath: string | null;
  /** Adapted module paths, in the adapter's order. */
  readonly modules: readonly string[];
  /** Initializers replaced (merged weights, then trained biases / modules_to_save copies). */
  readonly replaced: readonly string[];
  /** True when the output is the input's bytes with the replaced tensors patched in (byte-identical otherwise). */
  readonly patchedInPlace: boolean;
  /** Differences between the adapter's modules and PEFT's targeting of this graph. */
  readonly warnings: readonly string[];
}

/**
 * Merges an adapter into a model and writes the result to `outPath` (atomically). When the model owns its bytes
 * (read with `readOnnxModel`) and keeps its weights inline, the merged weights are patched into those bytes, which
 * are then written out: the model is consumed, and no second copy is made. Otherwise the model is streamed to the
 * output with the new values, computed one at a time.
 * @example
 * ```ts
 * const model = await readOnnxModel('model.onnx');
 * const { adapter } = await readAdapterDir('./my-adapter');
 * await mergeOnnxModel(model, adapter, 'merged.onnx');
 * ```
 * @throws {ModuleMappingError} when a module has no layer in the graph (with the nearest candidates).
 * @throws {NumericalError} in safe mode when a merged weight is not finite.
 * @throws {ResourceLimitError} when the merge needs more memory than `maxMemoryBytes`, or would write more than
 * `maxOutputBytes`.
 * @throws {PathError} when an output is the input model or one of its data files, or the data file would leave
 * the output's folder.
 */
export async function mergeOnnxModel(
  model: OnnxModel,
  adapter: VBLoRAAdapter,
  outPath: string,
  options: MergeOnnxOptions = {},
): Promise<MergeOnnxReport> {
  const mapping = mapGraphModules(indexGraph(model.proto.graph!), options);
  const budget = options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
  const { updates, warnings } = planMerge(model, mapping, adapter, {
    ...(options.backend === undefined ? {} : { backend: options.backend }),
    ...(options.safe === undefined ? {} : { safe: options.safe }),
    maxMemoryBytes: budget,
  });
  // one update is computed at a time, next to the model's bytes: refuse before the first is computed
  for (const u of updates)
    checkMemoryBudget(model.bytes.length + u.bytes, `merging ${u.source} into ${u.initializer}`, budget);
  const mode = options.externalData ?? 'keep';
  const inits = mapping.index.initializers;
  const inline = (graphInits: typeof inits): boolean =>
    [...graphInits.values()].every((t) => storageOf(t) !== 'external');
  const patchable =
    model.ownsBytes &&
    mode === 'keep' &&
    inline(inits) &&
    updates.every((u) => storageOf(inits.get(u.initializer)!) === 'raw');
  let done = 0;
  const progress = (source: string): void => options.onProgress?.(++done, updates.length, source);
  const report = {
    modules: [...adapter.modules.keys()],
    replaced: updates.map((u) => u.initializer),
    warnings,
  };
  if (patchable) {
    await refuseOverwritingInputs(model, [outPath], new Map());
    for (const u of updates) {
      const value = hostBytes(await u.compute());
      const raw = inits.get(u.initializer)!.rawData!;
      if (raw.length !== value.length) {
        // only the weights are read (and checked) before merging; a trained bias replaces its tensor unread
        throw new OnnxModelError(
          `tensor ${u.initializer}: raw_data has ${raw.length} bytes, its shape and type need ${value.length}`,
          'tensor-size',
          u.initializer,
        );
      }
      raw.set(value);
      progress(u.source);
    }
    await writeFileAtomic(outPath, model.bytes);
    return { ...report, path: outPath, dataPath: null, patchedInPlace: true };
  }
  const replace = new Map(
    updates.map((u) => [
      u.initializer,
      async () => {
        const value = await u.compute();
        progress(u.source);
        return value;
      },
    ]),
  );
  const written = await writeOnnxModel(model, outPath, {
    replace,
    externalData: mode,
    maxMemoryBytes: budget,
    ...(options.maxOutputBytes === undefined ? {} : { maxOutputBytes: options.maxOutputBytes }),
  });
  return { ...report, path: outPath, dataPath: written.dataPath, patchedInPlace: false };
}
