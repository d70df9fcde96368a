/**
 * `mergeModelFolder`: an adapter merged into every ONNX variant of a transformers.js / Optimum model folder, the
 * config and tokenizer files copied, the result a folder transformers.js loads as it is.
 * @module
 */
import { basename } from 'node:path';
import type { VBLoRAAdapter } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { indexGraph } from '../graph/graph-index.js';
import { adapterTargets } from '../mapping/adapter-targets.js';
import { mapGraphModules } from '../mapping/map-modules.js';
import { mergeOnnxModel, type MergeOnnxOptions, type MergeOnnxReport } from '../merge/merge-model.js';
import type { RequantizeReport } from '../merge/requantize-plan.js';
import { mergeQuantizedOnnxModel } from '../merge/merge-quantized.js';
import { QUANTIZED_MERGE_REASON } from '../merge/quantized-reason.js';
import type { Q4SymmetricRule } from '../merge/requantize-q4.js';
import type { VariantInfo } from './classify-variant.js';
import type { FolderProgress, ModelFolderReport } from './folder-report.js';
import type { FolderVariant } from './read-folder.js';
import { runFolderJob, type FolderRunOptions } from './write-folder.js';

/** Options of {@link mergeModelFolder}. */
export interface MergeFolderOptions
  extends Omit<MergeOnnxOptions, 'externalData' | 'onProgress' | 'maxOutputBytes'>, FolderRunOptions {
  /** Adapter name inside a PEFT directory (default `default`), when `adapter` is a path. */
  readonly adapterName?: string;
  /**
   * Merge quantized variants too (q4, q4f16, int8, uint8): dequantize, add ΔW, requantize with the same layout and
   * rule, and report the error this adds. Default false: a quantized variant is refused with the reason (prefer
   * `injectModelFolder`, which keeps the adapter exact beside the quantized layers).
   */
  readonly allowQuantizedMerge?: boolean;
  /** Symmetric 4-bit scale rule when requantizing (default `auto`). */
  readonly q4Rule?: Q4SymmetricRule | 'auto';
  /** Called as each variant's tensors are written. */
  readonly onProgress?: FolderProgress;
}

/**
 * Merges an adapter into every ONNX variant of a model folder and writes a complete folder to `outFolder` (new or
 * empty): float32/float16 variants get PEFT's merge with dtypes kept; quantized variants are refused with the
 * reason unless `allowQuantizedMerge` (then requantized, with a report per module); every other top-level file
 * (config, generation config, tokenizer) is copied byte for byte. Everything is checked before anything is written,
 * and the folder appears only when every variant is done.
 * @example
 * ```ts
 * const report = await mergeModelFolder('./my-adapter', './Llama-tiny', './Llama-tiny-merged');
 * for (const v of report.variants) console.log(v.file, v.action);
 * ```
 * @throws {UnsupportedError} listing the variants that cannot be merged (before anything is written).
 * @throws {ModuleMappingError} / {ShapeError} when the adapter does not fit a variant's graph.
 * @throws {PathError} when the output is, holds or lies inside the input folder, is not empty, or an entry of the
 * input folder is a link leading out of it.
 * @throws {OnnxModelError} when the folder is not a model folder, or holds a FIFO or device.
 */
export async function mergeModelFolder(
  adapter: string | VBLoRAAdapter,
  inFolder: string,
  outFolder: string,
  options: MergeFolderOptions = {},
): Promise<ModelFolderReport> {
  const loaded =
    typeof adapter === 'string' ? (await readAdapterDir(adapter, options.adapterName ?? 'default')).adapter : adapter;
  // what is left after the folder's own options is what mergeOnnxModel takes
  const {
    onProgress,
    allowQuantizedMerge,
    skipUnsupported: _s,
    otherInputs: _o,
    adapterName: _a,
    ...mergeOptions
  } = options;
  let index = 0;
  let total = 0;
  const progress = (file: string) => (done: number, of: number, what: string) =>
    onProgress?.(index, total, file, done, of, what);
  return runFolderJob<'merge' | 'requantize'>(
    inFolder,
    outFolder,
    {
      decide(_variant: FolderVariant, info: VariantInfo, model) {
        if (info.kind === 'unsupported') return { refuse: info.reason };
        const mapping = mapGraphModules(indexGraph(model.proto.graph!), mergeOptions);
        const { layers } = adapterTargets(mapping, loaded);
        const quantized = [...layers.values()].some((uses) => uses[0]!.format !== 'float');
        total++;
        if (!quantized) return { plan: 'merge' };
        if (allowQuantizedMerge !== true)
          return { refuse: `its adapted layers are quantized (${info.kind})`, explain: QUANTIZED_MERGE_REASON };
        return { plan: 'requantize' };
      },
      async write(variant, info, model, plan, outPath, externalData) {
        index++;
        const common = { ...mergeOptions, externalData, onProgress: progress(variant.file) };
        const report: MergeOnnxReport & { readonly requantized?: readonly RequantizeReport[] } =
          plan === 'merge'
            ? await mergeOnnxModel(model, loaded, outPath, common)
            : await mergeQuantizedOnnxModel(model, loaded, outPath, common);
        return {
          file: variant.file,
          dtype: variant.dtype,
          kind: info.kind,
          action: plan === 'merge' ? 'merged' : 'requantized',
          dataFile: report.dataPath === null ? null : basename(report.dataPath),
          requantized: report.requantized ?? [],
          reason: '',
          warnings: report.warnings,
        };
      },
    },
    options,
  );
}
