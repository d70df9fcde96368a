/**
 * `injectOnnxFile`: read a model, inject VB-LoRA inputs, write the result.
 * @module
 */
import { readOnnxModel } from '../model-io/read-model.js';
import { writeOnnxModel, type ExternalDataMode, type WriteOnnxReport } from '../model-io/write-model.js';
import { injectAdapterInputs, type InjectOptions } from './inject-model.js';
import type { InjectionInfo } from './injection-info.js';

/** Options of {@link injectOnnxFile}. */
export interface InjectOnnxFileOptions extends InjectOptions {
  /** Where tensor data go in the output (default `'keep'`, see `writeOnnxModel`). */
  readonly externalData?: ExternalDataMode;
}

/**
 * Reads `basePath`, adds VB-LoRA inputs (see {@link injectAdapterInputs}) and writes the injected model to
 * `outPath`, streaming its tensors (external data are copied beside the output).
 * @example
 * ```ts
 * await injectOnnxFile('model.onnx', 'model.vblora.onnx', { config: { target_modules: ['q_proj', 'v_proj'] } });
 * ```
 */
export async function injectOnnxFile(
  basePath: string,
  outPath: string,
  options: InjectOnnxFileOptions = {},
): Promise<WriteOnnxReport & { readonly info: InjectionInfo; readonly warnings: readonly string[] }> {
  const injected = await injectAdapterInputs(await readOnnxModel(basePath), options);
  const written = await writeOnnxModel(injected.model, outPath, { externalData: options.externalData ?? 'keep' });
  return { ...written, info: injected.info, warnings: injected.warnings };
}
