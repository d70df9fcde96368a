/**
 * `runOnnxModel`: one run of any ONNX model on onnxruntime-node with host tensors in and out (a merged model, a
 * base model), for callers that do not keep a session.
 * @module
 */
import * as ort from 'onnxruntime-node';
import type { HostTensor } from '@vblora/core';
import type { OnnxModel } from '../model-io/onnx-model.js';
import { readOnnxModel } from '../model-io/read-model.js';
import { resolveSources } from '../model-io/write-files.js';
import { inlineBytes } from './adapter-session.js';
import { fromOrtTensor, toOrtTensor } from './host-tensors.js';

/** Options of {@link runOnnxModel}. */
export interface RunOnnxOptions {
  /** onnxruntime session options (default: log errors only). */
  readonly sessionOptions?: ort.InferenceSession.SessionOptions;
  /** Memory budget in bytes for reading a model file (default `DEFAULT_MAX_MEMORY_BYTES`, 4 GiB). */
  readonly maxMemoryBytes?: number;
}

/**
 * What onnxruntime gets for a model file: the file is read here first (a FIFO or device refused at once, never
 * handed to onnxruntime's blocking open), and its external data files checked to lie inside its folder once links
 * are followed; a model without external data is then passed as the bytes already read.
 * @internal
 */
export async function checkedModelSource(path: string, maxMemoryBytes?: number): Promise<string | Uint8Array> {
  const model = await readOnnxModel(path, maxMemoryBytes === undefined ? {} : { maxMemoryBytes });
  const sources = await resolveSources(model, new Set());
  return sources.size === 0 ? model.bytes : path;
}

/**
 * Loads a model (a path, its bytes, or a decoded model with inline tensors) into a new onnxruntime-node session,
 * runs it once on `feeds` (see {@link toOrtTensor}) and releases the session; returns every output by name.
 * @throws {ConfigError} for a decoded model that keeps tensors in external data files (pass its path instead).
 * @throws {OnnxModelError} for a model file that is not a regular file, or whose external data leave its folder.
 * @example
 * ```ts
 * const out = await runOnnxModel('merged.onnx', { x: tensor('f32', [1, 8, 64], data) });
 * const y = out.get('y')!;
 * ```
 */
export async function runOnnxModel(
  model: string | Uint8Array | OnnxModel,
  feeds: Readonly<Record<string, HostTensor>>,
  options: RunOnnxOptions = {},
): Promise<Map<string, HostTensor>> {
  const sessionOptions = { logSeverityLevel: 3 as const, ...options.sessionOptions };
  const source = typeof model === 'string' ? await checkedModelSource(model, options.maxMemoryBytes) : model instanceof Uint8Array ? model : inlineBytes(model);
  const session = typeof source === 'string'
    ? await ort.InferenceSession.create(source, sessionOptions)
    : await ort.InferenceSession.create(source, sessionOptions);
  try {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(t);
    const out = await session.run(ortFeeds);
    return new Map(Object.entries(out).map(([name, t]) => [name, fromOrtTensor(t as ort.Tensor)]));
  } finally {
    await session.release();
  }
}
