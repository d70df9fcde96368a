/**
 * How much JavaScript memory decoding a serialized ONNX model will take, found by walking its protobuf wire format
 * before `onnx-proto` decodes it. Why: decoding allocates per element, not per byte — an empty `TensorProto`
 * (2 bytes on disk) becomes a ~370-byte object, a packed int64 zero (1 byte) a `Long` — so a 20 MB file can ask
 * for gigabytes and end the process. Tensor bytes (`raw_data`) stay views and cost nothing here.
 *
 * The walk reads fields the way protobufjs's generated decoders do (by field number, whatever the wire type says),
 * so that it counts what they would allocate; it stops where they would throw.
 * @internal
 * @module
 */

/** How protobufjs decodes a field: a (repeated) message, string, bytes view, or (repeated) scalar. */
type Kind =
  | { readonly msg: string; readonly repeated: boolean }
  | 'string'
  | 'strings'
  | 'bytes'
  | 'bytesList'
  | 'varint'
  | 'int64'
  | 'fixed32'
  | 'floats'
  | 'doubles'
  | 'int32s'
  | 'int64s';

const m = (msg: string): Kind => ({ msg, repeated: false });
const rm = (msg: string): Kind => ({ msg, repeated: true });

/** Field number → kind, per message of onnx.proto (as generated in onnx-proto 8). */
const SCHEMA: Readonly<Record<string, Readonly<Record<number, Kind>>>> = {
  Model: {
    1: 'int64',
    8: rm('OpsetId'),
    2: 'string',
    3: 'string',
    4: 'string',
    5: 'int64',
    6: 'string',
    7: m('Graph'),
    14: rm('Entry'),
    20: rm('Training'),
    25: rm('Function'),
  },
  Graph: {
    1: rm('Node'),
    2: 'string',
    5: rm('Tensor'),
    15: rm('Sparse'),
    10: 'string',
    11: rm('ValueInfo'),
    12: rm('ValueInfo'),
    13: rm('ValueInfo'),
    14: rm('Annotation'),
  },
  Node: { 1: 'strings', 2: 'strings', 3: 'string', 4: 'string', 7: 'string', 5: rm('Attribute'), 6: 'string' },
  Attribute: {
    1: 'string',
    21: 'string',
    13: 'string',
    20: 'varint',
    2: 'fixed32',
    3: 'int64',
    4: 'bytes',
    5: m('Tensor'),
    6: m('Graph'),
    22: m('Sparse'),
    14: m('Type'),
    7: 'floats',
    8: 'int64s',
    9: 'bytesList',
    10: rm('Tensor'),
    11: rm('Graph'),
    23: rm('Sparse'),
    15: rm('Type'),
  },
  Tensor: {
    1: 'int64s',
    2: 'varint',
    3: m('Segment'),
    4: 'floats',
    5: 'int32s',
    6: 'bytesList',
    7: 'int64s',
    8: 'string',
    12: 'string',
    9: 'bytes',
    13: rm('Entry'),
    14: 'varint',
    10: 'doubles',
    11: 'int64s',
  },
  Segment: { 1: 'int64', 2: 'int64' },
  Sparse: { 1: m('Tensor'), 2: m('Tensor'), 3: 'int64s' },
  ValueInfo: { 1: 'string', 2: m('Type'), 3: 'string' },
  Type: { 1: m('TypeTensor'), 4: m('TypeElem'), 5: m('TypeMap'), 9: m('TypeElem'), 8: m('TypeTensor'), 6: 'string' },
  TypeTensor: { 1: 'varint', 2: m('Shape') },
  TypeElem: { 1: m('Type') },
  TypeMap: { 1: 'varint', 2: m('Type') },
  Shape: { 1: rm('Dim') },
  Dim: { 1: 'int64', 2: 'string', 3: 'string' },
  OpsetId: { 1: 'string', 2: 'int64' },
  Entry: { 1: 'string', 2: 'string' },
  Annotation: { 1: 'string', 2: rm('Entry') },
  Training: { 1: m('Graph'), 2: m('Graph'), 3: rm('Entry'), 4: rm('Entry') },
  Function: {
    1: 'string',
    4: 'strings',
    5: 'strings',
    6: 'strings',
    7: rm('Node'),
    8: 'string',
    9: rm('OpsetId'),
    10: 'string',
  },
};

/** Bytes of heap per decoded object (measured on Node 20, rounded up): messages by type, then elements. */
const MESSAGE_COST: Readonly<Record<string, number>> = {
  Tensor: 448,
  Attribute: 416,
  Graph: 320,
  Model: 320,
  Function: 256,
  Node: 160,
};
const OTHER_MESSAGE = 128;
const FLOAT = 32; // a repeated float element (a boxed double in the array, with growth slack)
const NUMBER = 48; // a repeated int32/double element
const LONG = 96; // a repeated or single int64 element (a Long object)
const BYTES_VIEW = 256; // a Buffer view of a bytes field
const STRING = 48; // plus two bytes per byte of UTF-8

/** Nesting deeper than this is refused rather than walked (real models nest a few levels, through subgraphs). */
export const MAX_NESTING = 1000;

/** The walk ran off the data, as protobufjs would (which then throws): what was counted so far stands. */
class Truncated extends Error {}

class Cursor {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  /** protobufjs's uint32: at most 5 bytes; a fifth byte with its top bit set skips 5 more. */
  uint32(): number {
    let value = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.buf.length) throw new Truncated();
      const b = this.buf[this.pos++]!;
      value += (i === 4 ? b & 15 : b & 127) * 2 ** (7 * i);
      if (b < 128) return value;
    }
    this.skip(5);
    return value;
  }
  varint64(): void {
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new Truncated();
      if (this.buf[this.pos++]! < 128) return;
    }
    throw new Truncated(); // protobufjs: "invalid varint encoding"
  }
  /** One element of a repeated scalar field, read as protobufjs reads it. */
  element(kind: Kind): void {
    if (kind === 'floats') this.skip(4);
    else if (kind === 'doubles') this.skip(8);
    else if (kind === 'int32s') this.uint32();
    else this.varint64();
  }
  skip(n: number): void {
    if (this.pos + n > this.buf.length) throw new Truncated();
    this.pos += n;
  }
  skipType(wireType: number, depth: number): void {
    if (wireType === 0) this.varint64();
    else if (wireType === 1) this.skip(8);
    else if (wireType === 2) this.skip(this.uint32());
    else if (wireType === 5) this.skip(4);
    else if (wireType === 3) {
      if (depth > MAX_NESTING) throw new Truncated();
      for (let w = this.uint32() & 7; w !== 4; w = this.uint32() & 7) this.skipType(w, depth + 1);
    } else throw new Truncated(); // protobufjs: "invalid wire type"
  }
}

/** The result of {@link estimateDecodedBytes}. */
export interface DecodeEstimate {
  /** Bytes of heap the decoded model will take beyond the serialized bytes. */
  readonly bytes: number;
  /** True when messages nest deeper than {@link MAX_NESTING}. */
  readonly tooDeep: boolean;
}

/**
 * Estimates the heap taken by decoding `bytes` as a `ModelProto` with onnx-proto (an upper bound for well-formed
 * input; for malformed input, what is decoded before protobufjs gives up). Runs in one pass, allocating nothing
 * per field.
 */
export function estimateDecodedBytes(bytes: Uint8Array): DecodeEstimate {
  const c = new Cursor(bytes);
  const stack: { type: string; end: number }[] = [{ type: 'Model', end: bytes.length }];
  let total = MESSAGE_COST.Model!;
  try {
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      if (c.pos >= frame.end) {
        stack.pop();
        continue;
      }
      const tag = c.uint32();
      const kind = SCHEMA[frame.type]![Math.floor(tag / 8)];
      const wire = tag & 7;
      if (kind === undefined) c.skipType(wire, stack.length);
      else if (typeof kind === 'object') {
        const len = c.uint32();
        if (stack.length >= MAX_NESTING) return { bytes: total, tooDeep: true };
        total += (MESSAGE_COST[kind.msg] ?? OTHER_MESSAGE) + (kind.repeated ? 8 : 0);
        stack.push({ type: kind.msg, end: c.pos + len });
      } else if (kind === 'string' || kind === 'strings') {
        const len = c.uint32();
        c.skip(len);
        total += STRING + 2 * len;
      } else if (kind === 'bytes' || kind === 'bytesList') {
        c.skip(c.uint32());
        total += BYTES_VIEW;
      } else if (kind === 'varint') c.uint32();
      else if (kind === 'int64') {
        c.varint64();
        total += LONG;
      } else if (kind === 'fixed32') c.skip(4);
      else {
        const each = kind === 'int64s' ? LONG : kind === 'floats' ? FLOAT : NUMBER;
        let count = 1;
        if (wire === 2) {
          const end = c.uint32() + c.pos;
          for (count = 0; c.pos < end; count++) c.element(kind);
        } else c.element(kind);
        total += count * each;
      }
    }
  } catch (err) {
    if (!(err instanceof Truncated)) throw err;
  }
  return { bytes: total, tooDeep: false };
}
