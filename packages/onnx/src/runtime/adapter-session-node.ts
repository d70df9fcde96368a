/**
 * `AdapterSession` in Node: models and adapters may be file paths, and the runtime defaults to onnxruntime-node.
 * @module
 */
import type * as ortNode from 'onnxruntime-node';
import { DEFAULT_MAX_MEMORY_BYTES, type VBLoRAAdapter } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import type { OnnxModel } from '../model-io/onnx-model.js';
import { decodeOnnxModel, readOnnxModel } from '../model-io/read-model.js';
import { resolveSources } from '../model-io/write-files.js';
import { AdapterSessionBase, inlineBytes, injectedParts, type AdapterSessionBaseOptions } from './adapter-session.js';
import { nodeOrt } from './node-ort.js';
import type { OrtModule } from './ort-module.js';

/** Options of {@link AdapterSession.create} in Node. */
export interface AdapterSessionOptions extends AdapterSessionBaseOptions {
  /** onnxruntime session options (default: log errors only). */
  readonly sessionOptions?: ortNode.InferenceSession.SessionOptions;
  /** The onnxruntime module to run on (default: onnxruntime-node, loaded on first use). */
  readonly ort?: OrtModule;
}

/** An injected model loaded once into onnxruntime (onnxruntime-node by default), serving any number of adapters. */
export class AdapterSession extends AdapterSessionBase<ortNode.InferenceSession> {
  /**
   * Loads an injected model (a path, its bytes, or an `injectAdapterInputs` result) into onnxruntime-node.
   * @example
   * ```ts
   * const session = await AdapterSession.create('model.vblora.onnx');
   * await session.loadAdapter('fr', './adapter-fr');
   * const out = await session.run({ input_ids }, { adapter: 'fr' });
   * ```
   * A model file is read (and checked) before onnxruntime sees it: a FIFO or device is refused, and every external
   * data file must lie inside the model's folder once links are followed.
   * @throws {OnnxModelError} when the model has no VB-LoRA inputs (also a `static` one, whose adapter is built in),
   * or cannot be read.
   * @throws {BackendUnavailableError} when no `ort` is given and onnxruntime-node cannot be loaded.
   */
  static async create(
    model: string | Uint8Array | OnnxModel,
    options: AdapterSessionOptions = {},
  ): Promise<AdapterSession> {
    const ort = options.ort ?? nodeOrt();
    const sessionOptions = { logSeverityLevel: 3 as const, ...options.sessionOptions };
    const budget = options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
    const source = typeof model === 'string' || model instanceof Uint8Array ? model : inlineBytes(model);
    // read what we need first, so that a file's bytes are garbage by the time onnxruntime loads its own copy
    let decoded: OnnxModel;
    if (typeof model === 'string') {
      decoded = await readOnnxModel(model, { maxMemoryBytes: budget });
      await resolveSources(decoded, new Set());
    } else {
      decoded = model instanceof Uint8Array ? decodeOnnxModel(model, { maxMemoryBytes: budget }) : model;
    }
    const parts = await injectedParts(decoded, budget);
    const session =
      typeof source === 'string'
        ? await ort.InferenceSession.create(source, sessionOptions)
        : await ort.InferenceSession.create(source, sessionOptions);
    return new AdapterSession(session as ortNode.InferenceSession, parts, ort.Tensor, options.backend, budget);
  }

  /**
   * Loads (or replaces) an adapter under `name`, from a PEFT directory or an in-memory adapter. Composition
   * happens here, once; runs only pick the prepared tensors.
   */
  override async loadAdapter(name: string, adapter: string | VBLoRAAdapter): Promise<void> {
    await super.loadAdapter(name, typeof adapter === 'string' ? (await readAdapterDir(adapter)).adapter : adapter);
  }
}
