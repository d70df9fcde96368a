/**
 * `mergeQuantizedOnnxModel`: merge mode for models whose adapted layers are quantized (4-bit `MatMulNBits`, 8-bit
 * `MatMulInteger` and its fused forms): requantized with each layer's own layout and rule, with a report of the
 * error this adds.
 * @module
 */
import { checkMemoryBudget, DEFAULT_MAX_MEMORY_BYTES, UnsupportedError, type VBLoRAAdapter } from '@vblora/core';
import { indexGraph } from '../graph/graph-index.js';
import { mapGraphModules } from '../mapping/map-modules.js';
import type { OnnxModel } from '../model-io/onnx-model.js';
import { writeOnnxModel } from '../model-io/write-model.js';
import { adapterTargets } from '../mapping/adapter-targets.js';
import { mergeOnnxModel, type MergeOnnxOptions, type MergeOnnxReport } from './merge-model.js';
import { QUANTIZED_MERGE_REASON } from './quantized-reason.js';
import { planRequantizedMerge, type RequantizeReport } from './requantize-plan.js';
import type { Q4SymmetricRule } from './requantize-q4.js';

/** Options of {@link mergeQuantizedOnnxModel}. */
export interface MergeQuantizedOptions extends MergeOnnxOptions {
  /** Symmetric 4-bit scale rule (default `auto`: read off the base's scales and codes). */
  readonly q4Rule?: Q4SymmetricRule | 'auto';
}

/** What a requantizing merge did. */
export interface MergeQuantizedReport extends MergeOnnxReport {
  /** One report per quantized module: the error requantizing added (see {@link RequantizeReport}). */
  readonly requantized: readonly RequantizeReport[];
}

/**
 * Merges an adapter into a model whose layers may be quantized and writes it to `outPath` (atomically): float
 * layers get `round_dtype(W + ΔW)` as {@link mergeOnnxModel} does; quantized layers are dequantized as onnxruntime
 * does, get ΔW in float32 and are requantized with the same block layout, zero points and rule. Prefer inject mode
 * for quantized models: the report usually shows most of ΔW rounded away (`deltaRelError` close to 1).
 * @example
 * ```ts
 * const model = await readOnnxModel('onnx/model_q4.onnx');
 * const report = await mergeQuantizedOnnxModel(model, adapter, 'out/model_q4.onnx');
 * for (const r of report.requantized) console.log(r.module, r.maxAbsError, r.deltaRelError);
 * ```
 * @throws {UnsupportedError} for quantized tensors this merge cannot rewrite (shared, in subgraphs, float zero points).
 * @throws {ResourceLimitError} when a layer's merge needs more memory than `maxMemoryBytes`.
 */
export async function mergeQuantizedOnnxModel(
  model: OnnxModel,
  adapter: VBLoRAAdapter,
  outPath: string,
  options: MergeQuantizedOptions = {},
): Promise<MergeQuantizedReport> {
  const mapping = mapGraphModules(indexGraph(model.proto.graph!), options);
  const budget = options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
  const plan = planRequantizedMerge(model, mapping, adapter, {
    ...(options.backend === undefined ? {} : { backend: options.backend }),
    ...(options.safe === undefined ? {} : { safe: options.safe }),
    ...(options.q4Rule === undefined ? {} : { q4Rule: options.q4Rule }),
    maxMemoryBytes: budget,
  });
  for (const u of plan.updates)
    checkMemoryBudget(model.bytes.length + u.bytes, `merging ${u.source} into ${u.initializer}`, budget);
  let done = 0;
  const replace = new Map(
    plan.updates.map((u) => [
      u.initializer,
      async () => {
        const value = await u.compute();
        options.onProgress?.(++done, plan.updates.length, u.source);
        return value;
      },
    ]),
  );
  const written = await writeOnnxModel(model, outPath, {
    replace,
    externalData: options.externalData ?? 'keep',
    maxMemoryBytes: budget,
    ...(options.maxOutputBytes === undefined ? {} : { maxOutputBytes: options.maxOutputBytes }),
  });
  return {
    path: outPath,
    dataPath: written.dataPath,
    modules: [...adapter.modules.keys()],
    replaced: plan.updates.map((u) => u.initializer),
    patchedInPlace: false,
    warnings: plan.warnings,
    // reports arrive in the writer's order: give them in the adapter's
    requantized: plan.quantizedModules.flatMap((m) => plan.reports.filter((r) => r.module === m)),
  };
}

/** Options of {@link mergeOnnxModelAnyFormat}. */
export interface MergeAnyFormatOptions extends MergeQuantizedOptions {
  /** Requantize quantized layers (default false: a model with quantized adapted layers is refused, with the reason). */
  readonly allowQuantizedMerge?: boolean;
}

/**
 * Merges an adapter into a model of any layer format: a model whose adapted layers are all float goes through
 * {@link mergeOnnxModel} (byte-patched in place when it can be), one with quantized adapted layers through
 * {@link mergeQuantizedOnnxModel} when `allowQuantizedMerge`, and is refused otherwise.
 * @example
 * ```ts
 * const report = await mergeOnnxModelAnyFormat(await readOnnxModel('model_q4.onnx'), adapter, 'merged_q4.onnx', { allowQuantizedMerge: true });
 * ```
 * @throws {UnsupportedError} for quantized adapted layers without `allowQuantizedMerge` ({@link QUANTIZED_MERGE_REASON}).
 */
export async function mergeOnnxModelAnyFormat(
  model: OnnxModel,
  adapter: VBLoRAAdapter,
  outPath: string,
  options: MergeAnyFormatOptions = {},
): Promise<MergeQuantizedReport> {
  const mapping = mapGraphModules(indexGraph(model.proto.graph!), options);
  const { layers } = adapterTargets(mapping, adapter);
  const quantized = [...layers]
    .filter(([, uses]) => uses[0]!.format !== 'float')
    .map(([path, uses]) => `${path} (${uses[0]!.opType})`);
  if (quantized.length === 0) return { ...(await mergeOnnxModel(model, adapter, outPath, options)), requantized: [] };
  if (options.allowQuantizedMerge !== true) {
    const list =
      quantized.length > 3
        ? `${quantized.slice(0, 3).join(', ')} and ${quantized.length - 3} more`
        : quantized.join(', ');
    throw new UnsupportedError(`the adapted layers ${list} are quantized. ${QUANTIZED_MERGE_REASON}`);
  }
  return mergeQuantizedOnnxModel(model, adapter, outPath, options);
}
