/**
 * `injectModelFolder`: an adapter injected as an unmerged branch beside every adapted layer of every ONNX variant
 * of a transformers.js / Optimum model folder — float and quantized alike, since the branch leaves the base layer
 * as it is — with the config and tokenizer files copied.
 * @module
 */
import { basename } from 'node:path';
import { ConfigError, type VBLoRAAdapter } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { indexGraph } from '../graph/graph-index.js';
import { injectAdapterInputs, type InjectOptions } from '../inject/inject-model.js';
import { readInjectionInfo } from '../inject/injection-info.js';
import { adapterTargets } from '../mapping/adapter-targets.js';
import { mapGraphModules } from '../mapping/map-modules.js';
import { writeOnnxModel } from '../model-io/write-model.js';
import type { FolderProgress, ModelFolderReport } from './folder-report.js';
import { runFolderJob, type FolderRunOptions } from './write-folder.js';

/** Options of {@link injectModelFolder}. */
export interface InjectFolderOptions
  extends
    Omit<InjectOptions, 'adapter' | 'adapters' | 'modules' | 'config' | 'variant' | 'overridable'>,
    FolderRunOptions {
  /** Adapter name inside a PEFT directory (default `default`), for the adapters given as paths. */
  readonly adapterName?: string;
  /**
   * false (default): the adapter is built into each model (A and B as initializers, no extra inputs), so
   * transformers.js runs the folder as it is. true: the adapter tensors are graph inputs (`lowrank`, or `topk` with
   * `hotSwapVariant`), for `AdapterSession` or a server that switches adapters per request; transformers.js cannot
   * feed them.
   */
  readonly hotSwap?: boolean;
  /** Inputs of a hot-swap model: `lowrank` (default) or `topk`. */
  readonly hotSwapVariant?: 'lowrank' | 'topk';
  /** Called as each variant is written (one step per variant: injection writes no per-module progress). */
  readonly onProgress?: FolderProgress;
}

/**
 * Injects an adapter — or, with `hotSwap`, several — into every ONNX variant of a model folder and writes a complete folder to `outFolder` (new or
 * empty). Each adapted layer — `MatMul`/`Gemm`, 4-bit `MatMulNBits`, 8-bit `MatMulInteger` — keeps its base
 * operator and gets y = base(x) + (x·Aᵀ)·Bᵀ beside it in float32, so quantized variants keep the adapter exact.
 * Everything is checked before anything is written, and the folder appears only when every variant is done.
 *
 * With several adapters (hot swap only) the union of their modules gets branches and the union of their trained
 * biases / modules_to_save tensors becomes overridable, so one loaded model switches between all of them; an
 * adapter feeds zeros for the modules it lacks. Each adapter must fit every variant.
 * @example
 * ```ts
 * await injectModelFolder('./my-adapter', './Llama-tiny', './Llama-tiny-adapted');       // transformers.js-ready
 * await injectModelFolder('./my-adapter', './Llama-tiny', './Llama-tiny-hot', { hotSwap: true }); // AdapterSession
 * await injectModelFolder(['./adapter-a', './adapter-b'], './Llama-tiny', './Llama-tiny-ab', { hotSwap: true });
 * ```
 * @throws {UnsupportedError} listing the variants that cannot be injected (before anything is written).
 * @throws {ModuleMappingError} / {ShapeError} when the adapter does not fit a variant's graph.
 * @throws {ConfigError} `adapters` when several adapters (or none) are given without `hotSwap`.
 * @throws {PathError} / {OnnxModelError} as {@link mergeModelFolder}.
 */
export async function injectModelFolder(
  adapter: string | VBLoRAAdapter | readonly (string | VBLoRAAdapter)[],
  inFolder: string,
  outFolder: string,
  options: InjectFolderOptions = {},
): Promise<ModelFolderReport> {
  const list =
    typeof adapter === 'string' || !Array.isArray(adapter)
      ? [adapter as string | VBLoRAAdapter]
      : (adapter as readonly (string | VBLoRAAdapter)[]);
  if (list.length === 0) throw new ConfigError('injectModelFolder needs at least one adapter', 'adapters');
  if (list.length > 1 && options.hotSwap !== true) {
    throw new ConfigError(
      `${list.length} adapters were given, but a folder without hotSwap builds one adapter into each model; ` +
        'pass hotSwap: true to inject them all as switchable inputs',
      'adapters',
    );
  }
  const adapters: VBLoRAAdapter[] = [];
  for (const a of list)
    adapters.push(typeof a === 'string' ? (await readAdapterDir(a, options.adapterName ?? 'default')).adapter : a);
  const {
    onProgress,
    hotSwap,
    hotSwapVariant,
    skipUnsupported: _s,
    otherInputs: _o,
    adapterName: _a,
    maxMemoryBytes,
    ...mapOptions
  } = options;
  const variant = hotSwap === true ? (hotSwapVariant ?? 'lowrank') : 'static';
  const injectOptions: InjectOptions = { ...mapOptions, adapter: adapters[0]!, adapters, variant };
  let index = 0;
  let total = 0;
  return runFolderJob<true>(
    inFolder,
    outFolder,
    {
      decide(_variant, info, model) {
        if (info.kind === 'unsupported') return { refuse: info.reason };
        if (readInjectionInfo(model.proto) !== null)
          return { refuse: 'it already has VB-LoRA branches (an injected model)' };
        // every adapter must fit every variant: a module without a layer fails here, before anything is written
        const mapping = mapGraphModules(indexGraph(model.proto.graph!), mapOptions);
        for (const a of adapters) adapterTargets(mapping, a);
        total++;
        return { plan: true };
      },
      async write(v, info, model, _plan, outPath, externalData) {
        index++;
        onProgress?.(index, total, v.file, 0, 1, v.file);
        const injected = await injectAdapterInputs(model, injectOptions);
        const written = await writeOnnxModel(injected.model, outPath, {
          externalData,
          ...(maxMemoryBytes === undefined ? {} : { maxMemoryBytes }),
        });
        onProgress?.(index, total, v.file, 1, 1, v.file);
        return {
          file: v.file,
          dtype: v.dtype,
          kind: info.kind,
          action: 'injected',
          dataFile: written.dataPath === null ? null : basename(written.dataPath),
          requantized: [],
          reason: '',
          warnings: injected.warnings,
        };
      },
    },
    options,
  );
}
