/**
 * Reading `.onnx` files: decode the protobuf without copying tensor data; external data stays on disk until a
 * tensor is asked for.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { OnnxModelError } from '../errors.js';
import { pb, type onnx } from '../proto.js';
import type { OnnxModel } from './onnx-model.js';
import type { writeOnnxModel } from './write-model.js';

/** Options of {@link decodeOnnxModel}. */
export interface DecodeOnnxOptions {
  /** Folder that external data locations are relative to (default: none; such tensors then cannot be read). */
  readonly baseDir?: string | null;
  /** Set when the caller hands the bytes over for good, so that merging may patch them in place (default false). */
  readonly ownsBytes?: boolean;
}

/**
 * Decodes a serialized ONNX model; tensor data stay views into `bytes`.
 * @throws {OnnxModelError} when the bytes are not a `ModelProto` with a graph.
 */
export function decodeOnnxModel(bytes: Uint8Array, options: DecodeOnnxOptions = {}): OnnxModel {
  let proto;
  try {
    proto = pb.ModelProto.decode(bytes);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new OnnxModelError(`not a valid ONNX model: protobuf decoding failed (${why})`, 'protobuf', undefined, {
      cause: err,
    });
  }
  if (proto.graph === null || proto.graph === undefined) {
    throw new OnnxModelError('not a valid ONNX model: the ModelProto has no graph', 'no-graph');
  }
  return { proto, bytes, baseDir: options.baseDir ?? null, ownsBytes: options.ownsBytes ?? false };
}

/**
 * Reads an `.onnx` file; tensors stored in external data files are read later, from the model's folder, only
 * when needed.
 * @example
 * ```ts
 * const model = await readOnnxModel('model.onnx');
 * console.log(model.proto.graph?.node?.length);
 * ```
 * @throws {OnnxModelError} when the file is not an ONNX model.
 */
export async function readOnnxModel(path: string): Promise<OnnxModel> {
  const raw = await readFile(path);
  const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  try {
    return decodeOnnxModel(bytes, { baseDir: dirname(resolve(path)), ownsBytes: true });
  } catch (err) {
    if (err instanceof OnnxModelError) throw new OnnxModelError(`${path}: ${err.message}`, err.rule, path, { cause: err });
    throw err;
  }
}

/** Serializes a model proto to bytes (small models; large ones go through {@link writeOnnxModel}). */
export function encodeOnnxModel(proto: onnx.IModelProto): Uint8Array {
  const buf = pb.ModelProto.encode(proto).finish();
  // protobufjs hands out a Node Buffer, whose slice() is a view: return a plain Uint8Array, whose slice() copies
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
