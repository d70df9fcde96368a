/**
 * Walking the protobuf fields of one message through a {@link ByteSource}: each field's number, wire type and where
 * its value lies are read from its header alone, so that a walk of a model file (its top-level fields, its graph's
 * initializers) skips what it does not need without reading or decoding it.
 * @internal
 * @module
 */
import type { ByteSource } from './byte-source.js';
import { ModelSessionError } from './errors.js';

/** Top-level fields of a `ModelProto` walked at most (a real model has about a dozen). */
export const MAX_MODEL_FIELDS = 100_000;

/** The error for bytes that are not an ONNX model. */
export const notOnnx = (why: string): ModelSessionError =>
  new ModelSessionError(`not an ONNX model: ${why}`, 'model-file');

/**
 * A varint at `at` in `b`: value and bytes used, or null when `b` ends first. Values beyond 2^53 throw unless
 * `inexact` (then they come back rounded: only their size matters, or the caller refuses them).
 */
export function varint(b: Uint8Array, at: number, inexact = false): { value: number; used: number } | null {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10 && at + i < b.length; i++) {
    const byte = b[at + i]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      if (!inexact && !Number.isSafeInteger(value)) throw notOnnx('a varint beyond 2^53');
      return { value, used: i + 1 };
    }
    scale *= 128;
  }
  return null;
}

/** One field of a message. */
export interface ProtoField {
  /** Field number. */
  readonly field: number;
  /** Wire type: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. */
  readonly wire: 0 | 1 | 2 | 5;
  /** Offset of the field's header. */
  readonly at: number;
  /** Offset of its value (wire type 2: of the bytes after the length). */
  readonly start: number;
  /** Offset just past its value. */
  readonly end: number;
  /** The value of a varint field, exact up to 2^53 (negative int32/int64 values are not); 0 for other wire types. */
  readonly value: number;
}

/** The bytes of one message, and how a walk of them names them in errors. */
export interface FieldSpan {
  readonly from: number;
  readonly to: number;
  /** Fields walked at most. */
  readonly maxFields: number;
  /** The fields, in "more than N …": `top-level fields`. */
  readonly fields: string;
  /** The message, in "runs past the end of …": `the file`. */
  readonly within: string;
}

/** The span of a whole model file's top-level fields. */
export function modelSpan(source: ByteSource): FieldSpan {
  return { from: 0, to: source.size, maxFields: MAX_MODEL_FIELDS, fields: 'top-level fields', within: 'the file' };
}

/**
 * Every field of the message in `span`, in file order; only each field's header is read.
 * @throws {ModelSessionError} `model-file` when the bytes are not protobuf fields that fill the span exactly.
 */
export async function* walkFields(source: ByteSource, span: FieldSpan): AsyncGenerator<ProtoField> {
  let at = span.from;
  for (let n = 0; at < span.to; n++) {
    if (n >= span.maxFields) throw notOnnx(`more than ${span.maxFields} ${span.fields}`);
    const head = (await source.read(at, 20)).subarray(0, span.to - at);
    const tag = varint(head, 0);
    if (tag === null) throw notOnnx(`a truncated field header at byte ${at}`);
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    if (field === 0) throw notOnnx(`field number 0 at byte ${at}`);
    const start = at + tag.used;
    let end: number;
    let value = 0;
    if (wire === 0) {
      const v = varint(head, tag.used, true);
      if (v === null) throw notOnnx(`a truncated varint at byte ${at}`);
      end = start + v.used;
      value = v.value;
    } else if (wire === 1) {
      end = start + 8;
    } else if (wire === 5) {
      end = start + 4;
    } else if (wire === 2) {
      const len = varint(head, tag.used);
      if (len === null) throw notOnnx(`a truncated length at byte ${at}`);
      const body = start + len.used;
      if (body + len.value > span.to) throw notOnnx(`field ${field} at byte ${at} runs past the end of ${span.within}`);
      yield { field, wire, at, start: body, end: body + len.value, value };
      at = body + len.value;
      continue;
    } else {
      throw notOnnx(`wire type ${wire} at byte ${at}`);
    }
    if (end > span.to) throw notOnnx(`field ${field} at byte ${at} runs past the end of ${span.within}`);
    yield { field, wire, at, start, end, value };
    at = end;
  }
}

/** A decoded `StringStringEntryProto` (`metadata_props`, `external_data`). */
export interface StringEntry {
  readonly key: string;
  readonly value: string;
}

/**
 * Decodes a `StringStringEntryProto`; `what` names it in errors (`a metadata entry`).
 * @throws {ModelSessionError} `model-file` when it is not two strings of valid UTF-8.
 */
export function decodeStringEntry(b: Uint8Array, what: string): StringEntry {
  const text = new TextDecoder('utf-8', { fatal: true });
  let key = '';
  let value = '';
  let at = 0;
  while (at < b.length) {
    const tag = varint(b, at);
    if (tag === null || tag.value % 8 !== 2) throw notOnnx(`${what} that is not two strings`);
    at += tag.used;
    const len = varint(b, at);
    if (len === null || at + len.used + len.value > b.length) throw notOnnx(`${what} runs past its end`);
    at += len.used;
    let s;
    try {
      s = text.decode(b.subarray(at, at + len.value));
    } catch (err) {
      throw new ModelSessionError(`not an ONNX model: ${what} that is not UTF-8`, 'model-file', { cause: err });
    }
    at += len.value;
    if (tag.value >>> 3 === 1) key = s;
    else if (tag.value >>> 3 === 2) value = s;
  }
  return { key, value };
}
