/**
 * Runtime (Node): serving injected models with switchable adapters on onnxruntime-node (or another onnxruntime
 * module passed in), and plain runs with host tensors.
 * @module
 */
export { AdapterSession, type AdapterSessionOptions } from './adapter-session-node.js';
export {
  AdapterSessionBase,
  type AdapterSessionBaseOptions,
  type AdapterRunOptions,
  type InjectedModelParts,
} from './adapter-session.js';
export { prepareAdapter, type PreparedAdapter, type LowRankFeed, type TopkFeed } from './prepared-adapter.js';
export { stackFeeds, stackedFeedBytes, type FeedData } from './stack-feeds.js';
export { runOnnxModel, toOrtTensor, type RunOnnxOptions } from './run-model-node.js';
export { fromOrtTensor } from './host-tensors.js';
export type {
  OrtModule,
  OrtSessionLike,
  OrtTensorConstructor,
  OrtTensorLike,
  OrtValueMetadataLike,
  RunResultOf,
  SessionOf,
  SessionOptionsOf,
} from './ort-module.js';
