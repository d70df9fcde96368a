/**
 * The header of one length-delimited protobuf field (tag + length varints). The writer streams a model field by
 * field so that a large model is never serialised into one buffer; every message body is still encoded by
 * `onnx-proto`, only these headers are assembled here (tests check the result byte for byte against onnx-proto).
 * @internal
 * @module
 */

function varint(value: number, out: number[]): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

/** Tag (wire type 2) and length of field `field`, as protobuf writes them before a length-delimited value. */
export function fieldHeader(field: number, length: number): Uint8Array {
  const out: number[] = [];
  varint(field * 8 + 2, out);
  varint(length, out);
  return Uint8Array.from(out);
}

/** Field numbers of the messages the writer splits: ModelProto.graph, GraphProto.initializer, TensorProto.raw_data. */
export const FIELD = { modelGraph: 7, graphInitializer: 5, tensorRawData: 9 } as const;
