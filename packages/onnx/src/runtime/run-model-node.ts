/**
 * `runOnnxModel` in Node: models may be file paths (read and checked first), and the runtime defaults to
 * onnxruntime-node.
 * @module
 */
import type * as ortNode from 'onnxruntime-node';
import type { HostTensor } from '@vblora/core';
import type { OnnxModel } from '../model-io/onnx-model.js';
import { readOnnxModel } from '../model-io/read-model.js';
import { resolveSources } from '../model-io/write-files.js';
import { inlineBytes } from './adapter-session.js';
import { toOrtTensor as toOrtTensorOf } from './host-tensors.js';
import { nodeOrt } from './node-ort.js';
import type { OrtModule } from './ort-module.js';
import { runOnce } from './run-model.js';

/** Options of {@link runOnnxModel} in Node. */
export interface RunOnnxOptions {
  /** onnxruntime session options (default: log errors only). */
  readonly sessionOptions?: ortNode.InferenceSession.SessionOptions;
  /** Memory budget in bytes for reading a model file (default `DEFAULT_MAX_MEMORY_BYTES`, 4 GiB). */
  readonly maxMemoryBytes?: number;
  /** The onnxruntime module to run on (default: onnxruntime-node, loaded on first use). */
  readonly ort?: OrtModule;
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
  const ort = options.ort ?? nodeOrt();
  const source =
    typeof model === 'string'
      ? await checkedModelSource(model, options.maxMemoryBytes)
      : model instanceof Uint8Array
        ? model
        : inlineBytes(model);
  return runOnce(ort, source, feeds, options.sessionOptions);
}

/**
 * A host tensor as an onnxruntime-node feed (or a tensor of `ort`), sharing its data: f32, f16 (as float16 bits),
 * i32 and i64 as they are; bf16 widened (exactly) to float32, since onnxruntime's JS API has no bf16 tensors.
 * @throws {UnsupportedError} for other dtypes.
 */
export function toOrtTensor(t: HostTensor, ort: Pick<OrtModule, 'Tensor'> = nodeOrt()): ortNode.Tensor {
  return toOrtTensorOf(t, ort) as ortNode.Tensor;
}
