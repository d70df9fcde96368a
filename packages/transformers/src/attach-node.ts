/**
 * `attachAdapters` for Node: strings are file paths (model files, model folders, PEFT adapter directories).
 * @module
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openRegularFile, readAdapterDir } from '@vblora/core/node';
import {
  attachAdaptersWith,
  type AdapterController,
  type AttachIo,
  type AttachOptions,
  type TransformersModelLike,
} from './attach-adapters.js';
import { fetchAdapterFiles } from './adapter-source.js';
import type { ByteSource } from './byte-source.js';
import { ModelSessionError } from './errors.js';
import type { ModelFileAccess } from './injection-source.js';
import { joinUrl, webModelFile } from './attach-web.js';
import { bytesSource } from './byte-source.js';
import { overrideDefaultsNode } from './override-defaults-node.js';

async function fileSource(path: string): Promise<ByteSource> {
  let opened;
  try {
    opened = await openRegularFile(path);
  } catch (err) {
    throw new ModelSessionError(err instanceof Error ? err.message : String(err), 'model-file', { cause: err });
  }
  const { fh, size } = opened;
  return {
    size,
    async read(offset, length) {
      const n = Math.max(0, Math.min(length, size - offset));
      const buf = new Uint8Array(n);
      let got = 0;
      while (got < n) {
        const { bytesRead } = await fh.read(buf, got, n - got, offset + got);
        if (bytesRead === 0) break; // the file shrank: the scan reports a truncated field
        got += bytesRead;
      }
      return buf.subarray(0, got);
    },
    close: () => fh.close(),
  };
}

function nodeModelFile(ref: Uint8Array | string | URL): ModelFileAccess {
  const path = ref instanceof URL && ref.protocol === 'file:' ? fileURLToPath(ref) : ref;
  if (path instanceof URL) return webModelFile(path);
  return {
    label: typeof path === 'string' ? path : 'the model file',
    open: () => (typeof path === 'string' ? fileSource(path) : Promise.resolve(bytesSource(path))),
    overrideDefaults: (overrides, read) => overrideDefaultsNode(path, overrides, read.maxMemoryBytes),
  };
}

const nodeIo: AttachIo = {
  modelFile: nodeModelFile,
  join: (folder, ...parts) => (typeof folder === 'string' ? join(folder, ...parts) : joinUrl(folder, ...parts)),
  async readAdapter(ref) {
    if (ref instanceof URL && ref.protocol !== 'file:') return fetchAdapterFiles(ref);
    return readAdapterDir(ref instanceof URL ? fileURLToPath(ref) : ref);
  },
};

/**
 * Attaches switchable VB-LoRA adapters to a transformers.js model loaded in Node from a hot-swap folder; strings
 * are paths (the model folder, a `.onnx` file, PEFT adapter directories).
 * @example
 * ```ts
 * import { AutoModelForCausalLM, AutoTokenizer } from '@huggingface/transformers';
 * import { attachAdapters } from '@vblora/transformers/node';
 *
 * const model = await AutoModelForCausalLM.from_pretrained('/models/llama-hot', { dtype: 'q4' });
 * const adapters = await attachAdapters(model, { folder: '/models/llama-hot' });
 * await adapters.load('sea', './adapters/sea');
 * adapters.use('sea');
 * const ids = await model.generate({ ...tokenizer('the cat'), max_new_tokens: 16, do_sample: false });
 * ```
 * @throws {ModelSessionError} when the model or its file cannot take switchable adapters.
 */
export function attachAdapters(model: TransformersModelLike, options: AttachOptions): Promise<AdapterController> {
  return attachAdaptersWith(model, options, nodeIo);
}
