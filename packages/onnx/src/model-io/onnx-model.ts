/**
 * The in-memory form of an ONNX model: the decoded protobuf plus where its bytes and external data live.
 * @module
 */
import type { onnx } from '../proto.js';
import type { ExternalDataReader } from './external-ref.js';

/** A decoded ONNX model. Inline tensor data are views into `bytes` (decoding copies nothing). */
export interface OnnxModel {
  /** The decoded `ModelProto`; treat it as read-only unless you own the model. */
  readonly proto: onnx.ModelProto;
  /** The serialized bytes `proto` was decoded from. */
  readonly bytes: Uint8Array;
  /** Folder that external data locations are relative to; null for bytes without a file. */
  readonly baseDir: string | null;
  /** True when `bytes` belongs to this model alone (read from a file), so merging may patch it in place. */
  readonly ownsBytes: boolean;
  /** The `.onnx` file it was read from, when there is one: writers refuse to overwrite it. */
  readonly path?: string | null;
  /**
   * How tensors kept in external data files are read: in Node, files inside `baseDir` (set by `readOnnxModel`,
   * or `decodeOnnxModel` with a `baseDir`). Absent: such tensors cannot be read.
   */
  readonly readExternal?: ExternalDataReader;
}

/** The graph of a model (checked to exist when the model was decoded). @internal */
export function graphOf(model: OnnxModel): onnx.IGraphProto {
  return model.proto.graph!;
}
