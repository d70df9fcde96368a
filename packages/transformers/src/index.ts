/**
 * `@vblora/transformers`: PEFT VB-LoRA adapters inside transformers.js models. A folder written by
 * `vblora inject --hot-swap` (or `injectModelFolder(..., { hotSwap: true })`) loads with transformers.js as usual;
 * {@link attachAdapters} then switches adapters — one, none, or one per batch row — inside that loaded model,
 * with no reload. Works wherever transformers.js does; in Node, `@vblora/transformers/node` takes file paths.
 *
 * @example
 * ```ts
 * import { AutoModelForCausalLM } from '@huggingface/transformers';
 * import { attachAdapters } from '@vblora/transformers';
 *
 * const model = await AutoModelForCausalLM.from_pretrained(folderUrl);
 * const adapters = await attachAdapters(model, { folder: folderUrl });
 * await adapters.load('sea', `${folderUrl}/adapters/sea/`);
 * adapters.use('sea');
 * ```
 * @packageDocumentation
 */
export * from './errors.js';
export { attachAdapters } from './attach-web.js';
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
