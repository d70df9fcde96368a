/**
 * The `metadata_props` of an ONNX model (`ModelProto` field 14), read by walking the model's top-level protobuf
 * fields and skipping the others — the graph with its weights is never read or decoded. onnxruntime's JavaScript
 * API does not expose a model's custom metadata, so this is how the injection description is found.
 * @module
 */
import type { ByteSource } from './byte-source.js';
import { ModelSessionError } from './errors.js';

/** One `metadata_props` entry. */
export interface MetadataEntry {
  readonly key: string;
  readonly value: string;
}

const METADATA_PROPS = 14; // ModelProto.metadata_props (repeated StringStringEntryProto)
/** Largest metadata entry read (an injection description of a 7B model is tens of kilobytes). */
const MAX_ENTRY_BYTES = 64 * 1024 * 1024;
/** Top-level fields walked at most (a real model has about a dozen). */
const MAX_FIELDS = 100_000;

const bad = (why: string): ModelSessionError => new ModelSessionError(`not an ONNX model: ${why}`, 'model-file');

/** A varint at `at` in `b`: value and bytes used; values up to 2^53 (protobuf lengths of files are far below). */
function varint(b: Uint8Array, at: number): { value: number; used: number } | null {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10 && at + i < b.length; i++) {
    const byte = b[at + i]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      if (!Number.isSafeInteger(value)) throw bad('a varint beyond 2^53');
      return { value, used: i + 1 };
    }
    scale *= 128;
  }
  return null;
}

function decodeEntry(b: Uint8Array): MetadataEntry {
  const text = new TextDecoder('utf-8', { fatal: true });
  let key = '';
  let value = '';
  let at = 0;
  while (at < b.length) {
    const tag = varint(b, at);
    if (tag === null || tag.value % 8 !== 2) throw bad('a metadata entry that is not two strings');
    at += tag.used;
    const len = varint(b, at);
    if (len === null || at + len.used + len.value > b.length) throw bad('a metadata entry runs past its end');
    at += len.used;
    const s = text.decode(b.subarray(at, at + len.value));
    at += len.value;
    if (tag.value >>> 3 === 1) key = s;
    else if (tag.value >>> 3 === 2) value = s;
  }
  return { key, value };
}

/**
 * Every `metadata_props` entry of the model in `source`, in file order.
 * @throws {ModelSessionError} `model-file` when the bytes are not a protobuf `ModelProto`.
 */
export async function readModelMetadata(source: ByteSource): Promise<MetadataEntry[]> {
  const out: MetadataEntry[] = [];
  let at = 0;
  for (let fields = 0; at < source.size; fields++) {
    if (fields >= MAX_FIELDS) throw bad(`more than ${MAX_FIELDS} top-level fields`);
    const head = await source.read(at, 20);
    const tag = varint(head, 0);
    if (tag === null) throw bad(`a truncated field header at byte ${at}`);
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    if (field === 0) throw bad(`field number 0 at byte ${at}`);
    let next: number;
    if (wire === 0) {
      const v = varint(head, tag.used);
      if (v === null) throw bad(`a truncated varint at byte ${at}`);
      next = at + tag.used + v.used;
    } else if (wire === 1) {
      next = at + tag.used + 8;
    } else if (wire === 5) {
      next = at + tag.used + 4;
    } else if (wire === 2) {
      const len = varint(head, tag.used);
      if (len === null) throw bad(`a truncated length at byte ${at}`);
      const start = at + tag.used + len.used;
      next = start + len.value;
      if (next > source.size) throw bad(`field ${field} at byte ${at} runs past the end of the file`);
      if (field === METADATA_PROPS) {
        if (len.value > MAX_ENTRY_BYTES) throw bad(`a metadata entry of ${len.value} bytes (at most ${MAX_ENTRY_BYTES} are read)`);
        out.push(decodeEntry(await source.read(start, len.value)));
      }
    } else {
      throw bad(`wire type ${wire} at byte ${at}`);
    }
    if (next > source.size) throw bad(`field ${field} at byte ${at} runs past the end of the file`);
    at = next;
  }
  return out;
}
