/**
 * `@vblora/onnx/web` (also what `@vblora/onnx` resolves to under the `browser` export condition): the ONNX graph
 * tools and {@link AdapterSession} for any JavaScript platform — pages, workers, Node — with no Node built-in and
 * no onnxruntime in its import graph. Models are bytes (or decoded models); the ONNX Runtime module is passed in
 * (`onnxruntime-web` in a page). Reading and writing files, model folders and the onnxruntime-node backend are
 * in the Node entry, `@vblora/onnx`.
 *
 * @example
 * ```ts
 * import * as ort from 'onnxruntime-web';
 * import { adapterFromFiles } from '@vblora/core';
 * import { AdapterSession } from '@vblora/onnx/web';
 *
 * ort.env.wasm.wasmPaths = '/ort/';
 * const model = new Uint8Array(await (await fetch('/model.vblora.onnx')).arrayBuffer());
 * const session = await AdapterSession.create(model, { ort });
 * await session.loadAdapter('fr', adapterFromFiles({ config, weights }).adapter);
 * const out = await session.run({ x: new ort.Tensor('float32', x, [1, 8, 64]) }, { adapter: 'fr' });
 * ```
 * @packageDocumentation
 */
export * from './errors.js';
export type { onnx } from './proto.js';

// model bytes in memory
export type { OnnxModel } from './model-io/onnx-model.js';
export { decodeOnnxModel, encodeOnnxModel, type DecodeOnnxOptions } from './model-io/decode-model.js';
export {
  readTensorData,
  tensorProtoFromHost,
  tensorDims,
  tensorDtype,
  tensorByteLength,
  storageOf,
  type TensorStorage,
  type ReadTensorOptions,
} from './model-io/tensor-data.js';
export { externalDataRef, type ExternalDataRef, type ExternalDataReader } from './model-io/external-ref.js';
export { dtypeFromOnnx, onnxFromDtype } from './model-io/onnx-dtype.js';

// graphs, module mapping, merge planning, injection
export * from './graph/index.js';
export * from './mapping/index.js';
export { planMerge, type MergePlan, type MergeUpdate, type PlanMergeOptions } from './merge/merge-plan.js';
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
export { QUANTIZED_MERGE_REASON } from './merge/quantized-reason.js';
export { injectAdapterInputs, type InjectOptions, type InjectedModel } from './inject/inject-model.js';
export {
  readInjectionInfo,
  isHotSwap,
  INJECTION_KEY,
  INJECTION_FORMAT,
  type InjectionInfo,
  type HotSwapInjectionInfo,
  type StaticAdapterInfo,
  type InjectedModule,
  type InjectedInputs,
  type InjectedOverride,
  type InjectVariant,
} from './inject/injection-info.js';
export * from './models/index.js';
export {
  DTYPE_SUFFIXES,
  CONFIG_FILE,
  ONNX_SUBFOLDER,
  parseVariantName,
  type FolderDtype,
} from './folder/variant-files.js';
export { classifyVariant, type VariantInfo, type VariantKind } from './folder/classify-variant.js';

// running on an onnxruntime module passed in
export {
  AdapterSession,
  AdapterSessionBase,
  type AdapterSessionOptions,
  type AdapterSessionBaseOptions,
  type AdapterRunOptions,
  type InjectedModelParts,
} from './runtime/adapter-session.js';
export { prepareAdapter, type PreparedAdapter, type LowRankFeed, type TopkFeed } from './runtime/prepared-adapter.js';
export { stackFeeds, stackedFeedBytes, type FeedData } from './runtime/stack-feeds.js';
export { checkAdapterFits, preparedKey, type PrepareAdapterOptions } from './runtime/prepared-adapter.js';
export { checkLeaseFits } from './store/lease-fits.js';
export { AdapterStore } from './store/adapter-store.js';
export type { AdapterStoreOptions, AdapterLease, AdapterStoreStats } from './store/store-types.js';
export { runOnnxModel, type RunOnnxOptions } from './runtime/run-model.js';
export { toOrtTensor, fromOrtTensor } from './runtime/host-tensors.js';
export type {
  OrtModule,
  OrtSessionLike,
  OrtTensorConstructor,
  OrtTensorLike,
  OrtValueMetadataLike,
  RunResultOf,
  SessionOf,
  SessionOptionsOf,
} from './runtime/ort-module.js';
