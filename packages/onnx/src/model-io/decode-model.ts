/**
 * Decoding and encoding ONNX models in memory: the protobuf is decoded without copying tensor data. No file
 * access here (reading `.onnx` files is `read-model.ts`, Node).
 * @module
 */
import { checkMemoryBudget, DEFAULT_MAX_MEMORY_BYTES } from '@vblora/core';
import { OnnxModelError } from '../errors.js';
import { pb, type onnx } from '../proto.js';
import { estimateDecodedBytes, MAX_NESTING } from './decode-estimate.js';
import type { ExternalDataReader } from './external-ref.js';
import type { OnnxModel } from './onnx-model.js';

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
  /**
   * How tensors kept in external data files are read (default: in Node, files inside `baseDir` when one is
   * given; elsewhere none, so such tensors cannot be read).
   */
  readonly readExternal?: ExternalDataReader;
}

/** Refuses bytes whose decoding would take more than `budget` (`held`: bytes already counted against it). @internal */
export function checkDecodeBudget(bytes: Uint8Array, held: number, budget: number, what: string): void {
  const estimate = estimateDecodedBytes(bytes);
  if (estimate.tooDeep) {
    throw new OnnxModelError(`not a valid ONNX model: messages nest more than ${MAX_NESTING} levels deep`, 'protobuf');
  }
  checkMemoryBudget(held + estimate.bytes, `decoding ${what}`, budget);
}

/**
 * Decodes a serialized ONNX model; tensor data stay views into `bytes`.
 * @example
 * ```ts
 * const model = decodeOnnxModel(new Uint8Array(await (await fetch('/model.onnx')).arrayBuffer()));
 * console.log(model.proto.graph?.node?.length);
 * ```
 * @throws {OnnxModelError} when the bytes are not a `ModelProto` with a graph.
 */
export function decodeOnnxModel(bytes: Uint8Array, options: DecodeOnnxOptions = {}): OnnxModel {
  checkDecodeBudget(bytes, 0, options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES, 'the ONNX model');
  return decodeChecked(bytes, options);
}

/** Decodes bytes whose budget was checked already. @internal */
export function decodeChecked(bytes: Uint8Array, options: DecodeOnnxOptions): OnnxModel {
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
  const model: OnnxModel = { proto, bytes, baseDir: options.baseDir ?? null, ownsBytes: options.ownsBytes ?? false };
  return options.readExternal === undefined ? model : { ...model, readExternal: options.readExternal };
}

/** Serializes a model proto to bytes (small models; large ones go through `writeOnnxModel`, Node). */
export function encodeOnnxModel(proto: onnx.IModelProto): Uint8Array {
  const buf = pb.ModelProto.encode(proto).finish();
  // protobufjs hands out a Node Buffer, whose slice() is a view: return a plain Uint8Array, whose slice() copies
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
