/**
 * The `metadata_props` of an ONNX model (`ModelProto` field 14), read by walking the model's top-level protobuf
 * fields and skipping the others — the graph with its weights is never read or decoded. onnxruntime's JavaScript
 * API does not expose a model's custom metadata, so this is how the injection description is found.
 * @module
 */
import type { ByteSource } from './byte-source.js';
import { decodeStringEntry, modelSpan, notOnnx, walkFields } from './proto-fields.js';

/** One `metadata_props` entry. */
export interface MetadataEntry {
  readonly key: string;
  readonly value: string;
}

const METADATA_PROPS = 14; // ModelProto.metadata_props (repeated StringStringEntryProto)
/** Largest metadata entry read (an injection description of a 7B model is tens of kilobytes). */
const MAX_ENTRY_BYTES = 64 * 1024 * 1024;

/**
 * Every `metadata_props` entry of the model in `source`, in file order.
 * @throws {ModelSessionError} `model-file` when the bytes are not a protobuf `ModelProto`.
 */
export async function readModelMetadata(source: ByteSource): Promise<MetadataEntry[]> {
  const out: MetadataEntry[] = [];
  for await (const f of walkFields(source, modelSpan(source))) {
    if (f.field !== METADATA_PROPS || f.wire !== 2) continue;
    const length = f.end - f.start;
    if (length > MAX_ENTRY_BYTES)
      throw notOnnx(`a metadata entry of ${length} bytes (at most ${MAX_ENTRY_BYTES} are read)`);
    out.push(decodeStringEntry(await source.read(f.start, length), 'a metadata entry'));
  }
  return out;
}
