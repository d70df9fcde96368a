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
export * from './errors.js';
export * from './model-io/index.js';
export * from './graph/index.js';
export * from './mapping/index.js';
export * from './merge/index.js';
export * from './inject/index.js';
export * from './runtime/index.js';
export * from './backend/index.js';
export * from './models/index.js';
export * from './folder/index.js';
export * from './store/index.js';
export { addAdapterDir, type AddAdapterDirOptions } from './store/add-adapter-dir.js';
export { checkAdapterFits, type PrepareAdapterOptions } from './runtime/prepared-adapter.js';
export {
  mergeQuantizedOnnxModel,
  mergeOnnxModelAnyFormat,
  type MergeQuantizedOptions,
  type MergeQuantizedReport,
  type MergeAnyFormatOptions,
} from './merge/merge-quantized.js';
export { QUANTIZED_MERGE_REASON } from './merge/quantized-reason.js';
export {
  planRequantizedMerge,
  measureRequantized,
  type RequantizeReport,
  type RequantizePlan,
  type PlanRequantizeOptions,
} from './merge/requantize-plan.js';
export {
  dequantizeQ4,
  quantizeQ4,
  detectQ4Rule,
  type Q4Data,
  type Q4Rule,
  type Q4SymmetricRule,
} from './merge/requantize-q4.js';
export { dequantizeInt8, quantizeInt8, detectInt8Rule, type Int8Data, type Int8Rule } from './merge/requantize-int8.js';
export type { onnx } from './proto.js';
export { onnxBackend as default } from './backend/onnx-backend.js';
