/**
 * The protobuf field walker shared by the metadata read and the override read: the fields onnx-proto writes, with
 * their wire types, values and byte ranges, at the top level and inside a nested message; every malformed span is a
 * ModelSessionError `model-file`. Accuracy: exact.
 */
import { encodeOnnxModel } from '@vblora/onnx';
import { describe, expect, it } from 'vitest';
import { bytesSource, ModelSessionError } from '../src/index.js';
import { decodeStringEntry, modelSpan, walkFields, type FieldSpan, type ProtoField } from '../src/proto-fields.js';

const all = async (bytes: Uint8Array, span?: Partial<FieldSpan>): Promise<ProtoField[]> => {
  const source = bytesSource(bytes);
  const out: ProtoField[] = [];
  for await (const f of walkFields(source, { ...modelSpan(source), ...span })) out.push(f);
  return out;
};

const failure = async (bytes: Uint8Array, span?: Partial<FieldSpan>): Promise<ModelSessionError> => {
  const err = await all(bytes, span).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelSessionError);
  expect((err as ModelSessionError).rule).toBe('model-file');
  return err as ModelSessionError;
};

const MODEL = encodeOnnxModel({
  irVersion: 8,
  producerName: 'test',
  modelVersion: -1, // a 10-byte varint: its value is inexact, the walk goes on
  graph: { name: 'g', initializer: [{ name: 'w', dims: [2], dataType: 1, floatData: [1, 2] }] },
  metadataProps: [{ key: 'k', value: 'v' }],
});

describe('walkFields', () => {
  it('yields each top-level field with its wire type, value and range', async () => {
    const fields = await all(MODEL);
    expect(fields.map((f) => [f.field, f.wire])).toEqual([
      [1, 0],
      [2, 2],
      [5, 0],
      [7, 2],
      [14, 2],
    ]);
    expect(fields[0]!.value).toBe(8);
    expect(new TextDecoder().decode(MODEL.subarray(fields[1]!.start, fields[1]!.end))).toBe('test');
    expect(fields[2]!.end - fields[2]!.start).toBe(10);
    expect(fields.at(-1)!.end).toBe(MODEL.length);
    for (const [i, f] of fields.entries()) if (i > 0) expect(f.at).toBe(fields[i - 1]!.end);
  });

  it('walks a nested message within its span: graph → initializer → name, dims, packed float_data', async () => {
    const graph = (await all(MODEL)).find((f) => f.field === 7)!;
    const init = (await all(MODEL, { from: graph.start, to: graph.end })).find((f) => f.field === 5)!;
    const tensor = await all(MODEL, { from: init.start, to: init.end });
    expect(tensor.map((f) => [f.field, f.wire])).toEqual([
      [1, 2],
      [2, 0],
      [4, 2],
      [8, 2],
    ]); // onnx-proto packs dims
    const floats = tensor[2]!;
    expect(new Float32Array(MODEL.slice(floats.start, floats.end).buffer)).toEqual(Float32Array.of(1, 2));
  });

  it('reads fixed64 and fixed32 fields by their size', async () => {
    const bytes = Uint8Array.of(0x09, ...new Array(8).fill(0xff), 0x15, 1, 2, 3, 4);
    expect((await all(bytes)).map((f) => [f.field, f.wire, f.start, f.end])).toEqual([
      [1, 1, 1, 9],
      [2, 5, 10, 14],
    ]);
  });

  it('refuses truncated headers, field 0, group wire types, fields past their message and too many fields', async () => {
    expect((await failure(Uint8Array.of(0x80))).message).toMatch(/truncated field header at byte 0/);
    expect((await failure(Uint8Array.of(0x02, 0x00))).message).toMatch(/field number 0/);
    expect((await failure(Uint8Array.of(0x0b))).message).toMatch(/wire type 3/);
    expect((await failure(Uint8Array.of(0x08, 0x80))).message).toMatch(/truncated varint/);
    expect((await failure(Uint8Array.of(0x0a, 0x05, 1, 2))).message).toMatch(
      /field 1 at byte 0 runs past the end of the file/,
    );
    expect((await failure(Uint8Array.of(0x15, 1, 2))).message).toMatch(/runs past the end of the file/);
    // a field that fits the file but not its message
    expect(
      (
        await failure(Uint8Array.of(0x0a, 0x03, 0x0a, 0x05, 0x00, 1, 2, 3, 4, 5), {
          from: 2,
          to: 5,
          within: 'the graph',
        })
      ).message,
    ).toMatch(/runs past the end of the graph/);
    expect(
      (
        await failure(
          new Uint8Array(6).fill(0x08).map((v, i) => (i % 2 ? 0 : v)),
          { maxFields: 2, fields: 'graph fields' },
        )
      ).message,
    ).toMatch(/more than 2 graph fields/);
  });
});

describe('decodeStringEntry', () => {
  it('decodes key and value, and refuses what is not two UTF-8 strings', () => {
    expect(decodeStringEntry(Uint8Array.of(0x0a, 1, 0x61, 0x12, 2, 0x62, 0x63), 'an entry')).toEqual({
      key: 'a',
      value: 'bc',
    });
    expect(() => decodeStringEntry(Uint8Array.of(0x08, 1), 'an entry')).toThrow(/an entry that is not two strings/);
    expect(() => decodeStringEntry(Uint8Array.of(0x0a, 5, 0x61), 'an entry')).toThrow(/an entry runs past its end/);
    expect(() => decodeStringEntry(Uint8Array.of(0x0a, 1, 0xff), 'an entry')).toThrow(ModelSessionError);
  });
});
