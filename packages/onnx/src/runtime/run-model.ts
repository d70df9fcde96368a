/**
 * `runOnnxModel`: one run of any ONNX model (a merged model, a base model) with host tensors in and out, on the
 * onnxruntime module passed in, for callers that do not keep a session.
 * @module
 */
import type { HostTensor } from '@vblora/core';
import type { OnnxModel } from '../model-io/onnx-model.js';
import { inlineBytes } from './adapter-session.js';
import { fromOrtTensor, toOrtTensor } from './host-tensors.js';
import { requireOrt, type OrtModule, type SessionOptionsOf } from './ort-module.js';

/** Options of {@link runOnnxModel}. */
export interface RunOnnxOptions<M extends OrtModule = OrtModule> {
  /** The onnxruntime module, e.g. `import * as ort from 'onnxruntime-web'`. */
  readonly ort: M;
  /** onnxruntime session options (default: log errors only). */
  readonly sessionOptions?: SessionOptionsOf<M>;
}

/**
 * Runs `source` (model bytes, or a path where the module reads files) once in a new session and releases it;
 * returns every output by name.
 * @internal
 */
export async function runOnce(
  ort: OrtModule,
  source: string | Uint8Array,
  feeds: Readonly<Record<string, HostTensor>>,
  sessionOptions: object | undefined,
): Promise<Map<string, HostTensor>> {
  const options = { logSeverityLevel: 3, ...sessionOptions };
  const session =
    typeof source === 'string'
      ? await ort.InferenceSession.create(source, options)
      : await ort.InferenceSession.create(source, options);
  try {
    const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, toOrtTensor(t, ort)]));
    const out = await session.run(ortFeeds);
    return new Map(Object.entries(out).map(([name, t]) => [name, fromOrtTensor(t)]));
  } finally {
    await session.release();
  }
}

/**
 * Loads a model (its bytes, or a decoded model with inline tensors) into a new session of the onnxruntime module
 * `options.ort`, runs it once on `feeds` (see {@link toOrtTensor}) and releases the session; returns every output
 * by name.
 * @throws {ConfigError} without `ort`, or for a decoded model that keeps tensors in external data files.
 * @example
 * ```ts
 * import * as ort from 'onnxruntime-web';
 * const out = await runOnnxModel(mergedBytes, { x: tensor('f32', [1, 8, 64], data) }, { ort });
 * const y = out.get('y')!;
 * ```
 */
export async function runOnnxModel<M extends OrtModule>(
  model: Uint8Array | OnnxModel,
  feeds: Readonly<Record<string, HostTensor>>,
  options: RunOnnxOptions<M>,
): Promise<Map<string, HostTensor>> {
  return runOnce(
    requireOrt(options?.ort, 'runOnnxModel'),
    model instanceof Uint8Array ? model : inlineBytes(model),
    feeds,
    options.sessionOptions,
  );
}
