/**
 * Whole model folders (transformers.js / Optimum): every ONNX variant merged or injected, config and tokenizer
 * files copied, written all or nothing.
 * @module
 */
export { DTYPE_SUFFIXES, CONFIG_FILE, ONNX_SUBFOLDER, parseVariantName, type FolderDtype } from './variant-files.js';
export { isModelFolder, readModelFolder, type FolderVariant, type ModelFolder } from './read-folder.js';
export { classifyVariant, type VariantInfo, type VariantKind } from './classify-variant.js';
export type { FolderProgress, FolderVariantReport, ModelFolderReport, VariantAction } from './folder-report.js';
export type { FolderRunOptions } from './write-folder.js';
export { mergeModelFolder, type MergeFolderOptions } from './merge-folder.js';
export { injectModelFolder, type InjectFolderOptions } from './inject-folder.js';
