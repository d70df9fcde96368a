/**
 * Runtime: serving injected models with switchable adapters on onnxruntime-node, and plain runs with host tensors.
 * @module
 */
export { AdapterSession, type AdapterSessionOptions, type AdapterRunOptions } from './adapter-session.js';
export { prepareAdapter, type PreparedAdapter, type LowRankFeed, type TopkFeed } from './prepared-adapter.js';
export { stackFeeds, stackedFeedBytes, type FeedData } from './stack-feeds.js';
export { runOnnxModel, type RunOnnxOptions } from './run-model.js';
export { toOrtTensor, fromOrtTensor } from './host-tensors.js';
