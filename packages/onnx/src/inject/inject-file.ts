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
  /** Memory budget in bytes for reading and writing the model (default `DEFAULT_MAX_MEMORY_BYTES`, 4 GiB). */
  readonly maxMemoryBytes?: number;
  /** Cap on the bytes written (see `writeOnnxModel`; default twice the input plus 64 MiB). */
  readonly maxOutputBytes?: number;
}

/**
 * Reads `basePath`, adds VB-LoRA inputs (see {@link injectAdapterInputs}) and writes the injected model to
 * `outPath`, streaming its tensors (external data are copied beside the output; tensors sharing one range of the
 * input share it in the output). The output may not be the base model or one of its data files.
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
  const budget = options.maxMemoryBytes === undefined ? {} : { maxMemoryBytes: options.maxMemoryBytes };
  const injected = await injectAdapterInputs(await readOnnxModel(basePath, budget), options);
  const written = await writeOnnxModel(injected.model, outPath, {
    externalData: options.externalData ?? 'keep',
    ...budget,
    ...(options.maxOutputBytes === undefined ? {} : { maxOutputBytes: options.maxOutputBytes }),
  });
  return { ...written, info: injected.info, warnings: injected.warnings };
}
