/**
 * Reading `.onnx` files: decode the protobuf without copying tensor data; external data stays on disk until a
 * tensor is asked for.
 * @module
 */
import { dirname, resolve } from 'node:path';
import { checkMemoryBudget, DEFAULT_MAX_MEMORY_BYTES, ResourceLimitError, VBLoRAError } from '@vblora/core';
import { openRegularFile } from '@vblora/core/node';
import { OnnxModelError } from '../errors.js';
import { pb, type onnx } from '../proto.js';
import { estimateDecodedBytes, MAX_NESTING } from './decode-estimate.js';
import type { OnnxModel } from './onnx-model.js';
import type { writeOnnxModel } from './write-model.js';

/** Options of {@link decodeOnnxModel}. */
export interface DecodeOnnxOptions {
  /** Folder that external data locations are relative to (default: none; such tensors then cannot be read). */
  readonly baseDir?: string | null;
  /** Set when the caller hands the bytes over for good, so that merging may patch them in place (default false). */
  readonly ownsBytes?: boolean;
  /**
   * Memory budget in bytes (default `DEFAULT_MAX_MEMORY_BYTES`, 4 GiB): the heap that decoding would take is
   * estimated from the bytes first, and a model over budget is refused before anything is decoded.
   */
  readonly maxMemoryBytes?: number;
}

/** Options of {@link readOnnxModel}. */
export interface ReadOnnxOptions {
  /** Memory budget in bytes for the file and its decoded form (default `DEFAULT_MAX_MEMORY_BYTES`, 4 GiB). */
  readonly maxMemoryBytes?: number;
}

/** Protobuf's hard limit on one serialised message: no valid `.onnx` file is larger. */
export const ONNX_FILE_LIMIT = 2 ** 31 - 1;

/** Refuses bytes whose decoding would take more than `budget` (`held`: bytes already counted against it). */
function checkDecodeBudget(bytes: Uint8Array, held: number, budget: number, what: string): void {
  const estimate = estimateDecodedBytes(bytes);
  if (estimate.tooDeep) {
    throw new OnnxModelError(`not a valid ONNX model: messages nest more than ${MAX_NESTING} levels deep`, 'protobuf');
  }
  checkMemoryBudget(held + estimate.bytes, `decoding ${what}`, budget);
}

/**
 * Decodes a serialized ONNX model; tensor data stay views into `bytes`.
 * @throws {OnnxModelError} when the bytes are not a `ModelProto` with a graph.
 */
export function decodeOnnxModel(bytes: Uint8Array, options: DecodeOnnxOptions = {}): OnnxModel {
  checkDecodeBudget(bytes, 0, options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES, 'the ONNX model');
  return decodeChecked(bytes, options);
}

function decodeChecked(bytes: Uint8Array, options: DecodeOnnxOptions): OnnxModel {
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
    return { ...decodeChecked(bytes, { baseDir: dirname(resolve(path)), ownsBytes: true }), path };
  } catch (err) {
    if (err instanceof OnnxModelError && err.rule !== 'file') throw new OnnxModelError(`${path}: ${err.message}`, err.rule, path, { cause: err });
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
      throw new ResourceLimitError(`${path} has ${size} bytes: an .onnx file cannot exceed protobuf's 2 GiB`, 'onnx-file-size');
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
      throw new OnnxModelError(`${path} changed size while being read (${size} bytes when opened); refusing it`, 'file', path);
    }
    return bytes;
  } finally {
    await fh.close();
  }
}

/** Serializes a model proto to bytes (small models; large ones go through {@link writeOnnxModel}). */
export function encodeOnnxModel(proto: onnx.IModelProto): Uint8Array {
  const buf = pb.ModelProto.encode(proto).finish();
  // protobufjs hands out a Node Buffer, whose slice() is a view: return a plain Uint8Array, whose slice() copies
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
