/**
 * `attachAdapters` for any JavaScript platform (browsers, workers, Node): files are bytes or URLs fetched with
 * `fetch`; the base values of overridable tensors are read by walking the model file (see override-defaults-web).
 * @module
 */
import { fetchAdapterFiles } from './adapter-source.js';
import {
  attachAdaptersWith,
  type AdapterController,
  type AttachIo,
  type AttachOptions,
  type TransformersModelLike,
} from './attach-adapters.js';
import { bytesSource, urlSource } from './byte-source.js';
import type { ModelFileAccess } from './injection-source.js';
import { overrideDefaultsWeb, type WebModelRef } from './override-defaults-web.js';

/** An absolute URL for `ref`, relative ones resolved against the page. */
function absolute(ref: string | URL): string {
  return new URL(String(ref), globalThis.location?.href).href;
}

/** @internal */
export function webModelFile(ref: Uint8Array | string | URL): ModelFileAccess {
  const model: WebModelRef =
    ref instanceof Uint8Array ? { url: null, label: 'the model file' } : { url: absolute(ref), label: absolute(ref) };
  return {
    label: model.label,
    open: async (maxBytes) => (ref instanceof Uint8Array ? bytesSource(ref) : urlSource(model.label, fetch, maxBytes)),
    overrideDefaults: (overrides, read) => overrideDefaultsWeb(read.source, overrides, model, read.maxMemoryBytes),
  };
}

/** @internal */
export function joinUrl(folder: string | URL, ...parts: string[]): string {
  const base = String(folder).endsWith('/') ? String(folder) : `${String(folder)}/`;
  return new URL(parts.map(encodeURIComponent).join('/'), absolute(base)).href;
}

const webIo: AttachIo = {
  modelFile: webModelFile,
  join: joinUrl,
  readAdapter: (ref, _name, maxBytes) => fetchAdapterFiles(absolute(ref), fetch, maxBytes),
};

/**
 * Attaches switchable VB-LoRA adapters to a transformers.js model loaded from a hot-swap folder
 * (`vblora inject <adapter> --base <folder> -o <out> --hot-swap`): every run transformers.js makes gets the
 * adapter tensors of the selection in use, with no reload. Strings are URLs here (relative ones against the page);
 * in Node, import from `@vblora/transformers/node` for file paths.
 * @example
 * ```ts
 * const model = await AutoModelForCausalLM.from_pretrained(folderUrl, { dtype: 'q4' });
 * const adapters = await attachAdapters(model, { folder: folderUrl });
 * await adapters.load('sea', `${folderUrl}/adapters/sea/`);
 * adapters.use('sea');
 * const out = await model.generate({ ...tokenizer('the cat'), max_new_tokens: 16, do_sample: false });
 * adapters.use(null); // the base model again
 * ```
 * @throws {ModelSessionError} when the model or its file cannot take switchable adapters.
 */
export function attachAdapters(model: TransformersModelLike, options: AttachOptions): Promise<AdapterController> {
  return attachAdaptersWith(model, options, webIo);
}
