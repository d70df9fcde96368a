/**
 * Runtime: serving injected models with switchable adapters on onnxruntime-node.
 * @module
 */
export { AdapterSession, type AdapterSessionOptions, type AdapterRunOptions } from './adapter-session.js';
export { prepareAdapter, type PreparedAdapter, type LowRankFeed, type TopkFeed } from './prepared-adapter.js';
export { stackFeeds, type FeedData } from './stack-feeds.js';
