/**
 * The model files of a transformers.js / Optimum folder: `onnx/<stem><suffix>.onnx`, where the suffix names the
 * dtype transformers.js asks for (`dtype: 'q4'` loads `onnx/model_q4.onnx`). This file holds the table only.
 * @module
 */

/** transformers.js dtype → file-name suffix (`model` + suffix + `.onnx`). */
export const DTYPE_SUFFIXES = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
} as const;

/** A dtype transformers.js names in its file table. */
export type FolderDtype = keyof typeof DTYPE_SUFFIXES;

/** The folder inside a model folder that holds the ONNX files. */
export const ONNX_SUBFOLDER = 'onnx';

/** The file that makes a folder a model folder (transformers.js reads it first). */
export const CONFIG_FILE = 'config.json';

/**
 * Splits an ONNX file name into its stem and transformers.js dtype: `model_q4f16.onnx` → `model`, `q4f16`;
 * `decoder_model_merged.onnx` → `decoder_model_merged`, `fp32`. Null for names that do not end in `.onnx`.
 */
export function parseVariantName(file: string): { stem: string; dtype: FolderDtype } | null {
  if (!file.endsWith('.onnx') || file.length <= '.onnx'.length) return null;
  const base = file.slice(0, -'.onnx'.length);
  // longest suffix first: `_q4f16` before `_q4`
  const entries = (Object.entries(DTYPE_SUFFIXES) as [FolderDtype, string][])
    .filter(([, s]) => s !== '')
    .sort((a, b) => b[1].length - a[1].length);
  for (const [dtype, suffix] of entries) {
    if (base.endsWith(suffix) && base.length > suffix.length) return { stem: base.slice(0, -suffix.length), dtype };
  }
  return { stem: base, dtype: 'fp32' };
}
