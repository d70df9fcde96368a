/**
 * Mutations of serialized ONNX models for the loader/injector fuzzer: byte-level (flips, truncation, appended or
 * inserted bytes) and protobuf-level (the model is decoded with onnx-proto, one field edited, and re-encoded):
 * initializer dims, data types, raw_data lengths, names, duplicates and removals; node names, inputs, outputs, op
 * types and attributes; external-data entries; opset and metadata.
 */
import fc from 'fast-check';
import { pb, type onnx } from '../../../src/proto.js';

/** One mutation of a model's bytes. */
export type ModelMutation = (bytes: Uint8Array) => Uint8Array;

/** Dimensions a hostile file may declare: edge sizes, negatives, and sizes no machine can hold (2⁴⁰, 2⁵³−1). */
export const DIMS = [0, 1, 2, 3, 31, 63, 64, 65, -1, -64, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 53 - 1, 2 ** 15, 2 ** 28];
/** TensorProto data types: the supported ones, string, complex, 8-bit floats, 4-bit ints and out-of-range codes. */
const DATA_TYPES = [0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 19, 21, 22, 23, 99, -1];
/** Names that collide with the graph's own, or that are special for JS objects. */
const NAMES = ['', 'x', 'y', '__proto__', 'constructor', 'proj.weight', 'head.weight', 'missing', 'onnx::MatMul_100'];
const LOCATIONS = [
  'missing.bin',
  '../outside.bin',
  '/etc/hostname',
  '',
  'a/../../outside.bin',
  '.',
  'sub/../model.data',
  '\u0000',
];
const COUNTS = ['0', '1', '-1', '1e3', '64', '4096', '99999999999', '1099511627776', '18446744073709551616', 'x', ''];
const OP_TYPES = ['MatMul', 'Gemm', 'Transpose', 'Cast', 'Identity', 'Add', 'Relu', 'Conv', 'NoSuchOp'];

/** Gives a mutation a readable name in fast-check's counterexamples. */
function named(label: string, fn: ModelMutation): ModelMutation {
  return Object.assign(fn, { [fc.toStringMethod]: () => label });
}

/** protobufjs hands out Node Buffers, whose slice() is a view: later mutations must copy, so re-wrap them. */
const plain = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

const at = <T>(xs: readonly T[], i: number): T | undefined => (xs.length === 0 ? undefined : xs[i % xs.length]);

/** Decodes, edits and re-encodes a model; bytes that do not decode (an earlier byte mutation) stay as they are. */
function editProto(bytes: Uint8Array, edit: (g: onnx.IGraphProto, m: onnx.ModelProto) => void): Uint8Array {
  let m: onnx.ModelProto;
  try {
    m = pb.ModelProto.decode(bytes);
  } catch {
    return bytes;
  }
  edit(m.graph ?? (m.graph = pb.GraphProto.create()), m);
  return plain(pb.ModelProto.encode(m).finish());
}

const onInit = (label: string, i: number, edit: (t: onnx.ITensorProto, g: onnx.IGraphProto) => void): ModelMutation =>
  named(`initializer ${i}: ${label}`, (bytes) =>
    editProto(bytes, (g) => {
      const t = at(g.initializer ?? [], i);
      if (t !== undefined) edit(t, g);
    }),
  );

const onNode = (label: string, i: number, edit: (n: onnx.INodeProto, g: onnx.IGraphProto) => void): ModelMutation =>
  named(`node ${i}: ${label}`, (bytes) =>
    editProto(bytes, (g) => {
      const n = at(g.node ?? [], i);
      if (n !== undefined) edit(n, g);
    }),
  );

const byteLevel: fc.Arbitrary<ModelMutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([p, x]): ModelMutation =>
    named(`flip byte ${p} ^ ${x}`, (b) => {
      if (b.length === 0) return b;
      const out = b.slice();
      out[p % b.length]! ^= x;
      return out;
    }),
  ),
  fc.nat().map((p): ModelMutation => named(`truncate at ${p}`, (b) => b.slice(0, p % (b.length + 1)))),
  fc.uint8Array({ minLength: 1, maxLength: 32 }).map((extra): ModelMutation =>
    named(`append ${extra.length} bytes`, (b) => {
      const out = new Uint8Array(b.length + extra.length);
      out.set(b);
      out.set(extra, b.length);
      return out;
    }),
  ),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([p, ins]): ModelMutation =>
    named(`insert ${ins.length} bytes at ${p}`, (b) => {
      const q = p % (b.length + 1);
      const out = new Uint8Array(b.length + ins.length);
      out.set(b.subarray(0, q));
      out.set(ins, q);
      out.set(b.subarray(q), q + ins.length);
      return out;
    }),
  ),
);

const initLevel: fc.Arbitrary<ModelMutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.nat(3), fc.constantFrom(...DIMS)).map(([i, j, d]) =>
    onInit(`dim ${j} = ${d}`, i, (t) => {
      const dims = [...(t.dims ?? [])];
      if (dims.length > 0) dims[j % dims.length] = d;
      t.dims = dims;
    }),
  ),
  fc.tuple(fc.nat(), fc.constantFrom(...DIMS), fc.boolean()).map(([i, d, add]) =>
    onInit(add ? `append dim ${d}` : 'drop last dim', i, (t) => {
      t.dims = add ? [...(t.dims ?? []), d] : (t.dims ?? []).slice(0, -1);
    }),
  ),
  fc
    .tuple(fc.nat(), fc.constantFrom(...DATA_TYPES))
    .map(([i, dt]) => onInit(`data_type ${dt}`, i, (t) => void (t.dataType = dt))),
  // raw_data shorter, longer, empty, or moved to a typed field with the wrong count
  fc
    .tuple(fc.nat(), fc.integer({ min: -64, max: 64 }), fc.constantFrom('resize', 'empty', 'float_data', 'int32_data'))
    .map(([i, k, how]) =>
      onInit(`raw_data ${how} ${k}`, i, (t) => {
        const raw = t.rawData ?? new Uint8Array(0);
        if (how === 'resize') {
          const out = new Uint8Array(Math.max(0, raw.length + k));
          out.set(raw.subarray(0, out.length));
          t.rawData = out;
        } else if (how === 'empty') t.rawData = new Uint8Array(0);
        else {
          const n = Math.max(0, Math.floor(raw.length / 4) + k);
          t.rawData = new Uint8Array(0);
          if (how === 'float_data') t.floatData = Array.from({ length: n }, (_, j) => j / 7);
          else t.int32Data = Array.from({ length: n }, (_, j) => j);
        }
      }),
    ),
  fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(...NAMES, '(other)')).map(([i, j, name]) =>
    onInit(`rename to ${JSON.stringify(name)} (${j})`, i, (t, g) => {
      t.name = name === '(other)' ? (at(g.initializer ?? [], j)?.name ?? '') : name;
    }),
  ),
  fc.tuple(fc.nat(), fc.boolean()).map(([i, dup]) =>
    named(`${dup ? 'duplicate' : 'remove'} initializer ${i}`, (bytes) =>
      editProto(bytes, (g) => {
        const list = g.initializer ?? [];
        const t = at(list, i);
        if (t === undefined) return;
        g.initializer = dup
          ? [
              ...list,
              pb.TensorProto.create({
                ...t,
                dims: [...(t.dims ?? [])].reverse(),
              }),
            ]
          : list.filter((x) => x !== t);
      }),
    ),
  ),
  // external data: a location that is missing or outside the folder, offsets and lengths that do not fit
  fc
    .tuple(
      fc.nat(),
      fc.constantFrom(...LOCATIONS, '(keep)'),
      fc.constantFrom(...COUNTS, '(none)'),
      fc.constantFrom(...COUNTS, '(none)', '(drop)', '(drop)'),
    )
    .map(([i, location, offset, length]) =>
      onInit(`external ${JSON.stringify(location)} offset ${offset} length ${length}`, i, (t) => {
        const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
        if (location !== '(keep)') entries.set('location', location);
        if (offset !== '(none)') entries.set('offset', offset);
        if (length === '(drop)') entries.delete('length');
        else if (length !== '(none)') entries.set('length', length);
        t.dataLocation = 1;
        t.rawData = new Uint8Array(0);
        t.externalData = [...entries].map(([key, value]) => ({ key, value }));
      }),
    ),
  fc.nat().map((i) => onInit('data_location 0', i, (t) => void (t.dataLocation = 0))),
);

const nodeLevel: fc.Arbitrary<ModelMutation> = fc.oneof(
  fc
    .tuple(fc.nat(), fc.nat(), fc.constantFrom(...NAMES, '(other)', '/model/layers.0/self_attn/q_proj/MatMul', '/a//b'))
    .map(([i, j, name]) =>
      onNode(`rename to ${JSON.stringify(name)} (${j})`, i, (n, g) => {
        n.name = name === '(other)' ? (at(g.node ?? [], j)?.name ?? '') : name;
      }),
    ),
  fc.tuple(fc.nat(), fc.boolean()).map(([i, dup]) =>
    named(`${dup ? 'duplicate' : 'remove'} node ${i}`, (bytes) =>
      editProto(bytes, (g) => {
        const list = g.node ?? [];
        const n = at(list, i);
        if (n === undefined) return;
        g.node = dup
          ? [...list.slice(0, i % list.length), n, ...list.slice(i % list.length)]
          : list.filter((x) => x !== n);
      }),
    ),
  ),
  // an input pointing at a missing tensor, at the node's own output (a cycle), at another tensor, or empty
  fc
    .tuple(fc.nat(), fc.nat(2), fc.nat(), fc.constantFrom('missing', 'self', 'other', 'empty', 'drop'))
    .map(([i, k, j, how]) =>
      onNode(`input ${k} ${how} (${j})`, i, (n, g) => {
        const inputs = [...(n.input ?? [])];
        const other =
          at(
            (g.node ?? []).flatMap((x) => x.output ?? []),
            j,
          ) ?? 'x';
        const v = {
          missing: 'no_such_tensor',
          self: n.output?.[0] ?? '',
          other,
          empty: '',
          drop: '',
        }[how];
        if (how === 'drop') inputs.splice(k % Math.max(1, inputs.length), 1);
        else inputs[k % Math.max(1, inputs.length)] = v;
        n.input = inputs;
      }),
    ),
  fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('other', 'input', 'empty', 'two')).map(([i, j, how]) =>
    onNode(`output ${how} (${j})`, i, (n, g) => {
      const other =
        at(
          (g.node ?? []).flatMap((x) => x.output ?? []),
          j,
        ) ?? 'y';
      n.output = {
        other: [other],
        input: ['x'],
        empty: [],
        two: [...(n.output ?? []), other],
      }[how];
    }),
  ),
  fc
    .tuple(fc.nat(), fc.constantFrom(...OP_TYPES), fc.constantFrom('', 'ai.onnx', 'com.microsoft'))
    .map(([i, op, domain]) =>
      onNode(`op ${domain}:${op}`, i, (n) => {
        n.opType = op;
        n.domain = domain;
      }),
    ),
  fc
    .tuple(
      fc.nat(),
      fc.constantFrom('transA', 'transB', 'alpha', 'perm', 'to', 'axis'),
      fc.constantFrom(0, 1, 2, -1, 5, 999, 2 ** 40),
    )
    .map(([i, name, v]) =>
      onNode(`attribute ${name} = ${v}`, i, (n) => {
        const attrs = (n.attribute ?? []).filter((a) => a.name !== name);
        if (name === 'alpha') attrs.push({ name, type: 1, f: v });
        else if (name === 'perm')
          attrs.push({
            name,
            type: 7,
            ints: v === 0 ? [] : [1, 0, v].slice(0, 2 + (v % 2)),
          });
        else
          attrs.push({
            name,
            type: v === 999 ? 3 : 2,
            i: v,
            s: new Uint8Array([0x31]),
          });
        n.attribute = attrs;
      }),
    ),
);

const modelLevel: fc.Arbitrary<ModelMutation> = fc.oneof(
  fc.constantFrom(1, 12, 13, 99, -1, 0).map((v): ModelMutation =>
    named(`opset ${v}`, (b) =>
      editProto(b, (_, m) => {
        m.opsetImport = v === 0 ? [] : [{ domain: '', version: v }];
      }),
    ),
  ),
  fc
    .constantFrom('{', '{"format":"vblora-inject/1","modules":[],"overrides":[]}', 'null', '[]', '"x"')
    .map((value): ModelMutation =>
      named(`injection metadata ${value}`, (b) =>
        editProto(b, (_, m) => {
          m.metadataProps = [...(m.metadataProps ?? []), { key: 'vblora.injection', value }];
        }),
      ),
    ),
  fc.constantFrom('graph', 'inputs', 'outputs', 'nodes', 'initializers').map((what): ModelMutation =>
    named(`drop ${what}`, (b) => {
      if (what !== 'graph') {
        return editProto(b, (g) => {
          if (what === 'inputs') g.input = [];
          else if (what === 'outputs') g.output = [];
          else if (what === 'nodes') g.node = [];
          else g.initializer = [];
        });
      }
      try {
        const m = pb.ModelProto.decode(b);
        m.graph = null;
        return plain(pb.ModelProto.encode(m).finish());
      } catch {
        return b;
      }
    }),
  ),
);

/** One mutation: half protobuf-level edits of initializers, a quarter of nodes, the rest bytes and model fields. */
export const modelMutation: fc.Arbitrary<ModelMutation> = fc.oneof(
  { weight: 4, arbitrary: initLevel },
  { weight: 3, arbitrary: nodeLevel },
  { weight: 2, arbitrary: byteLevel },
  { weight: 1, arbitrary: modelLevel },
);
