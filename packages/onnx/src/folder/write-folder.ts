/**
 * The common run of the folder commands: list the folder, decide every variant before anything is written
 * (unsupported ones are a typed error, or skipped when the caller allows it), then write the whole output into a
 * staged folder (config files copied byte for byte, each variant processed) and rename it into place.
 * @module
 */
import { join } from 'node:path';
import { UnsupportedError, VBLoRAError } from '@vblora/core';
import { readOnnxModel } from '../model-io/read-model.js';
import type { OnnxModel } from '../model-io/onnx-model.js';
import type { ExternalDataMode } from '../model-io/write-plan.js';
import { classifyVariant, type VariantInfo } from './classify-variant.js';
import { copyRegularFile } from './copy-file.js';
import type { FolderVariantReport, ModelFolderReport } from './folder-report.js';
import { checkOutputFolder, stageOutputFolder } from './output-folder.js';
import { readModelFolder, type FolderVariant } from './read-folder.js';
import { ONNX_SUBFOLDER } from './variant-files.js';

/**
 * A variant's fate, decided before anything is written: a plan, or a refusal (`refuse`: short, per variant;
 * `explain`: the why and what to do instead, said once however many variants share it).
 */
export type VariantDecision<P> = { readonly plan: P } | { readonly refuse: string; readonly explain?: string };

/** How one folder command treats variants. */
export interface FolderJob<P> {
  /** Decides what to do with a variant (the model is read for this and dropped after). @throws on bad input. */
  decide(variant: FolderVariant, info: VariantInfo, model: OnnxModel): VariantDecision<P>;
  /** Writes the variant to `outPath` (the model was read again), returning its report. */
  write(
    variant: FolderVariant,
    info: VariantInfo,
    model: OnnxModel,
    plan: P,
    outPath: string,
    externalData: ExternalDataMode,
  ): Promise<FolderVariantReport>;
}

/** Options every folder command takes. */
export interface FolderRunOptions {
  /** Memory budget in bytes for reading each model and for each variant's work (default 4 GiB). */
  readonly maxMemoryBytes?: number;
  /** Skip variants that cannot be handled (reported as `skipped`, with the reason) instead of failing. */
  readonly skipUnsupported?: boolean;
  /** Further inputs the output may not be (the adapter's files). */
  readonly otherInputs?: readonly string[];
}

const plainName = (name: string): boolean => name !== '.' && name !== '..' && !/[/\\\0]/.test(name);

/**
 * Where a variant's external data go in the output: nowhere (inline), or one data file of the same name as in the
 * input (transformers.js looks for `<model file>_data`), holding the tensors that were external (tensors at least
 * as large as the smallest of them).
 */
function externalDataOf(
  variant: FolderVariant,
  info: VariantInfo,
  taken: Set<string>,
): { mode: ExternalDataMode } | { refuse: string } {
  if (info.externalData.length === 0) return { mode: 'keep' };
  if (info.externalData.length > 1) {
    return {
      refuse: `its weights are split over ${info.externalData.length} external data files (${info.externalData.join(', ')}); the folder commands write one data file per model`,
    };
  }
  const location = info.externalData[0]!;
  if (!plainName(location))
    return { refuse: `its external data file ${JSON.stringify(location)} is not a plain file name beside the model` };
  if (taken.has(location)) return { refuse: `its external data file ${location} is also another model file's` };
  taken.add(location);
  return { mode: { location, threshold: Math.max(1, info.smallestExternal) } };
}

function skippedReport(
  v: FolderVariant,
  info: VariantInfo,
  reason: string,
  explain: string | undefined,
): FolderVariantReport {
  const why = explain === undefined ? reason : `${reason}. ${explain}`;
  return {
    file: v.file,
    dtype: v.dtype,
    kind: info.kind,
    action: 'skipped',
    dataFile: null,
    requantized: [],
    reason: why,
    warnings: [],
  };
}

/**
 * Runs a folder command: `inFolder` → `outFolder` (new or empty), all or nothing.
 * @throws {UnsupportedError} naming every variant that cannot be handled (unless `skipUnsupported`).
 */
export async function runFolderJob<P>(
  inFolder: string,
  outFolder: string,
  job: FolderJob<P>,
  options: FolderRunOptions,
): Promise<ModelFolderReport> {
  const folder = await readModelFolder(inFolder);
  await checkOutputFolder(outFolder, folder.root, options.otherInputs ?? []); // before any model is read
  const budget = options.maxMemoryBytes === undefined ? {} : { maxMemoryBytes: options.maxMemoryBytes };
  const taken = new Set(folder.variants.map((v) => v.file));
  const decided: {
    variant: FolderVariant;
    info: VariantInfo;
    plan?: P;
    mode?: ExternalDataMode;
    refuse?: string;
    explain?: string;
  }[] = [];
  for (const variant of folder.variants) {
    const model = await readOnnxModel(variant.path, budget);
    const info = classifyVariant(model);
    const data = externalDataOf(variant, info, taken);
    if ('refuse' in data) {
      decided.push({ variant, info, refuse: data.refuse });
      continue;
    }
    let d: VariantDecision<P>;
    try {
      d = job.decide(variant, info, model);
    } catch (err) {
      // with skipUnsupported, a variant the adapter does not fit (another model's file) is skipped like the rest
      if (options.skipUnsupported !== true || !(err instanceof VBLoRAError)) throw err;
      d = { refuse: `${err.name}: ${err.message}` };
    }
    if ('plan' in d) decided.push({ variant, info, plan: d.plan, mode: data.mode });
    else decided.push({ variant, info, refuse: d.refuse, ...(d.explain === undefined ? {} : { explain: d.explain }) });
  }
  const refused = decided.filter((d) => d.refuse !== undefined);
  if (refused.length > 0 && options.skipUnsupported !== true) {
    const list = refused.map((d) => `${ONNX_SUBFOLDER}/${d.variant.file}: ${d.refuse}`).join('; ');
    const explain = [...new Set(refused.flatMap((d) => (d.explain === undefined ? [] : [d.explain])))]
      .map((e) => ` ${e}`)
      .join('');
    throw new UnsupportedError(
      `${refused.length} of the ${decided.length} models of ${inFolder} cannot be processed (${list}).${explain} Nothing was written; ` +
        'to write the others and leave these out, pass skipUnsupported (--skip-unsupported)',
    );
  }
  const dataFiles = new Set(decided.flatMap((d) => d.info.externalData));
  const notCarried = [
    ...folder.skipped,
    ...[...folder.onnxOthers.keys()]
      .filter((n) => !dataFiles.has(n))
      .map((n) => `${ONNX_SUBFOLDER}/${n}: not an ONNX model or a data file of one`),
  ];
  const staged = await stageOutputFolder(outFolder, folder.root, options.otherInputs ?? []);
  try {
    const copied: string[] = [];
    for (const [name, path] of folder.files) {
      await copyRegularFile(path, join(staged.staging, name));
      copied.push(name);
    }
    const variants: FolderVariantReport[] = [];
    for (const d of decided) {
      if (d.refuse !== undefined) {
        variants.push(skippedReport(d.variant, d.info, d.refuse, d.explain));
        continue;
      }
      const model = await readOnnxModel(d.variant.path, budget);
      variants.push(
        await job.write(
          d.variant,
          d.info,
          model,
          d.plan as P,
          join(staged.staging, ONNX_SUBFOLDER, d.variant.file),
          d.mode!,
        ),
      );
    }
    await staged.commit();
    return { folder: staged.target, copied, variants, notCarried };
  } catch (err) {
    await staged.abort();
    throw err;
  }
}
