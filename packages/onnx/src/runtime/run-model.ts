/**
 * `runOnnxModel`: one run of any ONNX model on onnxruntime-node with host tensors in and out (a merged model, a
 * base model), for callers that do not keep a session.
 * @module
 */
import * as ort from 'onnxruntime-node';
import type { HostTensor } from '@vblora/core';
import type { OnnxModel } from '../model-io/onnx-model.js';
import { inlineBytes } from './adapter-session.js';
import { fromOrtTensor, toOrtTensor } from './host-tensors.js';

/** Options of {@link runOnnxModel}. */
export interface RunOnnxOptions {
  /** onnxruntime session options (default: log errors only). */
  readonly sessionOptions?: ort.InferenceSession.SessionOptions;
}

/**
 * Loads a model (a path, its bytes, or a decoded model with inline tensors) into a new onnxruntime-node session,
 * runs it once on `feeds` (see {@link toOrtTensor}) and releases the session; returns every output by name.
 * @throws {ConfigError} for a decoded model that keeps tensors in external data files (pass its path instead).
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
  const session = typeof model === 'string'
    ? await ort.InferenceSession.create(model, sessionOptions)
    : await ort.InferenceSession.create(model instanceof Uint8Array ? model : inlineBytes(model), sessionOptions);
  try {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(t);
    const out = await session.run(ortFeeds);
    return new Map(Object.entries(out).map(([name, t]) => [name, fromOrtTensor(t as ort.Tensor)]));
  } finally {
    await session.release();
  }
}
