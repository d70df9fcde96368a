/**
 * `@vblora/onnx`: PEFT VB-LoRA adapters for ONNX models. Merge an adapter into a model's initializers, or inject a
 * VB-LoRA branch whose adapter tensors are graph inputs and switch adapters per run with {@link AdapterSession};
 * plus a backend that runs the core kernels as small ONNX graphs on onnxruntime-node, and the golden fixtures'
 * ToyLlama built as an ONNX model from a state dict.
 *
 * This is the Node entry: files and model folders, onnxruntime-node by default (an optional peer, loaded on first
 * use). Bundlers targeting browsers get `@vblora/onnx/web` instead (the `browser` export condition): the graph
 * tools and `AdapterSession` on an ONNX Runtime module passed in, such as onnxruntime-web.
 *
 * @example
 * ```ts
 * import { mergeOnnxFile } from '@vblora/onnx';
 * await mergeOnnxFile('./my-adapter', 'model.onnx', 'merged.onnx');
 * ```
 * @packageDocumentation
 */
export * from './web.js';

// Node versions of names the web entry also has: a file path or onnxruntime-node where the web entry takes bytes
// and an ONNX Runtime module (explicit exports take precedence over `export *`)
export { decodeOnnxModel } from './model-io/read-model.js';
export { AdapterSession, type AdapterSessionOptions } from './runtime/adapter-session-node.js';
export { runOnnxModel, toOrtTensor, type RunOnnxOptions } from './runtime/run-model-node.js';

// Node only: files, model folders, merging and injecting on disk, the onnxruntime-node backend
export { readOnnxModel, type ReadOnnxOptions } from './model-io/read-model.js';
export {
  writeOnnxModel,
  type WriteOnnxOptions,
  type WriteOnnxReport,
  type ExternalDataMode,
} from './model-io/write-model.js';
export { mergeOnnxModel, type MergeOnnxOptions, type MergeOnnxReport } from './merge/merge-model.js';
export { mergeOnnxFile, type MergeOnnxFileOptions } from './merge/merge-file.js';
export {
  mergeQuantizedOnnxModel,
  mergeOnnxModelAnyFormat,
  type MergeQuantizedOptions,
  type MergeQuantizedReport,
  type MergeAnyFormatOptions,
} from './merge/merge-quantized.js';
export { injectOnnxFile, type InjectOnnxFileOptions } from './inject/inject-file.js';
export { isModelFolder, readModelFolder, type FolderVariant, type ModelFolder } from './folder/read-folder.js';
export type { FolderProgress, FolderVariantReport, ModelFolderReport, VariantAction } from './folder/folder-report.js';
export type { FolderRunOptions } from './folder/write-folder.js';
export { mergeModelFolder, type MergeFolderOptions } from './folder/merge-folder.js';
export { injectModelFolder, type InjectFolderOptions } from './folder/inject-folder.js';
export { addAdapterDir, type AddAdapterDirOptions } from './store/add-adapter-dir.js';
export { createOnnxBackend, onnxBackend, type OnnxBackend, type OnnxBackendOptions } from './backend/onnx-backend.js';
export { onnxBackend as default } from './backend/onnx-backend.js';
