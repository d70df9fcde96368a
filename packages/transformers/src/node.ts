/**
 * `@vblora/transformers/node`: everything of `@vblora/transformers`, with {@link attachAdapters} taking file paths
 * (model folder, model file, PEFT adapter directories).
 * @module
 */
export * from './errors.js';
export { attachAdapters } from './attach-node.js';
export type { AdapterController, AdapterSelection, AttachOptions, TransformersModelLike } from './attach-adapters.js';
export { checkedAdapter, fetchAdapterFiles, type AdapterInput } from './adapter-source.js';
export { readModelMetadata, type MetadataEntry } from './model-metadata.js';
export { bytesSource, urlSource, type ByteSource, type FetchLike } from './byte-source.js';
export {
  readModelInjection,
  type ModelFileAccess,
  type ModelInjection,
  type OverrideRead,
} from './injection-source.js';
