/**
 * `mergeOnnxFile`: the file-to-file merge behind `vblora merge <adapter> --base model.onnx -o merged.onnx`.
 * @module
 */
import type { VBLoRAAdapter } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { readOnnxModel } from '../model-io/read-model.js';
import { mergeOnnxModelAnyFormat, type MergeAnyFormatOptions, type MergeQuantizedReport } from './merge-quantized.js';

/** Options of {@link mergeOnnxFile}. */
export interface MergeOnnxFileOptions extends MergeAnyFormatOptions {
  /** Adapter name inside a PEFT directory (default `default`). */
  readonly adapterName?: string;
}

/**
 * Reads a PEFT adapter (directory or in-memory adapter) and an ONNX model, merges the adapter into the model's
 * initializers and writes the result to `outPath`. External data files are read beside `basePath` and written
 * beside `outPath`. `maxMemoryBytes` (default 4 GiB) bounds the model read and the merge; the output may not be
 * the base model or one of its data files.
 * @example
 * ```ts
 * const report = await mergeOnnxFile('./my-adapter', 'model.onnx', 'merged.onnx');
 * console.log(report.modules.length, 'modules merged');
 * ```
 */
export async function mergeOnnxFile(
  adapter: string | VBLoRAAdapter,
  basePath: string,
  outPath: string,
  options: MergeOnnxFileOptions = {},
): Promise<MergeQuantizedReport> {
  const loaded =
    typeof adapter === 'string' ? (await readAdapterDir(adapter, options.adapterName ?? 'default')).adapter : adapter;
  const model = await readOnnxModel(
    basePath,
    options.maxMemoryBytes === undefined ? {} : { maxMemoryBytes: options.maxMemoryBytes },
  );
  return mergeOnnxModelAnyFormat(model, loaded, outPath, options);
}
