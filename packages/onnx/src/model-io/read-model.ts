/**
 * Reading `.onnx` files (Node): decode the protobuf without copying tensor data; external data stays on disk until
 * a tensor is asked for.
 * @module
 */
import { dirname, resolve } from 'node:path';
import { checkMemoryBudget, DEFAULT_MAX_MEMORY_BYTES, ResourceLimitError, VBLoRAError } from '@vblora/core';
import { openRegularFile } from '@vblora/core/node';
import { OnnxModelError } from '../errors.js';
import {
  checkDecodeBudget,
  decodeChecked,
  decodeOnnxModel as decodeInMemory,
  type DecodeOnnxOptions,
} from './decode-model.js';
import { fileExternalReader } from './external-data.js';
import type { OnnxModel } from './onnx-model.js';

export { encodeOnnxModel, type DecodeOnnxOptions } from './decode-model.js';

/** Options of {@link readOnnxModel}. */
export interface ReadOnnxOptions {
  /** Memory budget in bytes for the file and its decoded form (default `DEFAULT_MAX_MEMORY_BYTES`, 4 GiB). */
  readonly maxMemoryBytes?: number;
}

/** Protobuf's hard limit on one serialised message: no valid `.onnx` file is larger. */
export const ONNX_FILE_LIMIT = 2 ** 31 - 1;

/**
 * Decodes a serialized ONNX model; tensor data stay views into `bytes`. Given a `baseDir`, tensors kept in
 * external data files are read from inside that folder.
 * @throws {OnnxModelError} when the bytes are not a `ModelProto` with a graph.
 */
export function decodeOnnxModel(bytes: Uint8Array, options: DecodeOnnxOptions = {}): OnnxModel {
  const baseDir = options.baseDir ?? null;
  return decodeInMemory(
    bytes,
    baseDir === null || options.readExternal !== undefined
      ? options
      : { ...options, readExternal: fileExternalReader(baseDir) },
  );
}

/**
 * Reads an `.onnx` file; tensors stored in external data files are read later, from the model's folder, only
 * when needed. The file must be a regular file (a FIFO or a device is refused at once, never waited on) of at most
 * 2 GiB, and it and its decoded form must fit the memory budget.
 * @example
 * ```ts
 * const model = await readOnnxModel('model.onnx');
 * console.log(model.proto.graph?.node?.length);
 * ```
 * @throws {OnnxModelError} when the file cannot be read (rule `file`) or is not an ONNX model.
 * @throws {ResourceLimitError} when it is over 2 GiB or over the memory budget.
 */
export async function readOnnxModel(path: string, options: ReadOnnxOptions = {}): Promise<OnnxModel> {
  const budget = options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
  try {
    const bytes = await readModelFile(path, budget);
    checkDecodeBudget(bytes, bytes.length, budget, path);
    const baseDir = dirname(resolve(path));
    return { ...decodeChecked(bytes, { baseDir, ownsBytes: true, readExternal: fileExternalReader(baseDir) }), path };
  } catch (err) {
    if (err instanceof OnnxModelError && err.rule !== 'file')
      throw new OnnxModelError(`${path}: ${err.message}`, err.rule, path, { cause: err });
    throw err;
  }
}

/** The bytes of a model file, opened without blocking and checked for size before anything is allocated. */
async function readModelFile(path: string, budget: number): Promise<Uint8Array> {
  let opened;
  try {
    opened = await openRegularFile(path);
  } catch (err) {
    const why = err instanceof VBLoRAError ? err.message : String(err);
    throw new OnnxModelError(why, 'file', path, { cause: err });
  }
  const { fh, size } = opened;
  try {
    if (size > ONNX_FILE_LIMIT) {
      throw new ResourceLimitError(
        `${path} has ${size} bytes: an .onnx file cannot exceed protobuf's 2 GiB`,
        'onnx-file-size',
      );
    }
    checkMemoryBudget(size, `reading ${path}`, budget);
    // exactly the size the open file had: a file that grows meanwhile is refused, not followed
    const bytes = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await fh.read(bytes, done, size - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    const { bytesRead: more } = await fh.read(new Uint8Array(1), 0, 1, done);
    if (done !== size || more !== 0) {
      throw new OnnxModelError(
        `${path} changed size while being read (${size} bytes when opened); refusing it`,
        'file',
        path,
      );
    }
    return bytes;
  } finally {
    await fh.close();
  }
}
