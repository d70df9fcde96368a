import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CheckpointFormatError,
  ResourceLimitError,
  ShapeError,
  tensor,
  zeros,
  type DType,
  type HostTensor,
} from '@vblora/core';
import { readSafetensors } from '../../src/checkpoint/safetensors-read.js';
import { planSafetensors, writeSafetensors } from '../../src/checkpoint/safetensors-write.js';
import { headerText } from './helpers/files.js';

const f32 = (shape: number[], values: number[]): HostTensor => tensor('f32', shape, Float32Array.from(values));
const u64le = (bytes: Uint8Array): number => Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));

function ruleOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof CheckpointFormatError) return e.rule;
    throw e;
  }
  throw new Error('expected a CheckpointFormatError');
}

describe('writeSafetensors: reference vectors from the official Rust tests (safetensors/src/tensor.rs)', () => {
  // Accuracy: exact bytes.
  it('no tensors, no metadata: header "{}" padded to 8', () => {
    const out = writeSafetensors([], null);
    expect(u64le(out)).toBe(8);
    expect(headerText(out)).toBe('{}      ');
    expect(out.length).toBe(16);
  });

  it('no tensors, metadata {framework: pt}: header length 40', () => {
    const out = writeSafetensors([], { framework: 'pt' });
    expect(u64le(out)).toBe(40);
    expect(headerText(out)).toBe('{"__metadata__":{"framework":"pt"}}     ');
  });

  it('"attn.0" F32 [1,2,3]: header length 64, no padding, data follows', () => {
    const out = writeSafetensors({ 'attn.0': f32([1, 2, 3], [0, 1, 2, 3, 4, 5]) }, null);
    expect(u64le(out)).toBe(64);
    expect(headerText(out)).toBe('{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}');
    expect([...new Float32Array(out.slice(72).buffer)]).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('"attn0" F32 [1,1,2,3]: header length 72 with 7 spaces of padding', () => {
    const out = writeSafetensors({ attn0: f32([1, 1, 2, 3], [0, 1, 2, 3, 4, 5]) }, null);
    expect(u64le(out)).toBe(72);
    expect(headerText(out)).toBe('{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ');
  });
});

describe('writeSafetensors: order', () => {
  it('sorts by descending Rust Dtype rank (U64 first, BOOL last), then by name', () => {
    // Rust enum order BOOL < U8 < I8 < F8_E5M2 < F8_E4M3 < I16 < U16 < F16 < BF16 < I32 < U32 < F32 < F64 < I64 < U64.
    const want = [
      'U64',
      'I64',
      'F64',
      'F32',
      'U32',
      'I32',
      'BF16',
      'F16',
      'U16',
      'I16',
      'F8_E4M3',
      'F8_E5M2',
      'I8',
      'U8',
      'BOOL',
    ];
    const dtypes = want.map((n) => n.toLowerCase() as DType);
    const input = new Map<string, HostTensor>();
    for (const d of [...dtypes].reverse()) {
      input.set(`b.${d}`, zeros(d, [1]));
      input.set(`a.${d}`, zeros(d, [2]));
    }
    const { layout } = planSafetensors([...input].map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape })));
    expect(layout.map((e) => e.name)).toEqual(dtypes.flatMap((d) => [`a.${d}`, `b.${d}`]));
  });

  it('orders names by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF5E is EF BD 9E in UTF-8 but 0xFF5E in UTF-16; U+1F600 is F0 9F 98 80 but 0xD83D 0xDE00.
    const names = ['\u{1F600}', '\uFF5E', 'a', 'B', 'ab', ''];
    const { layout } = planSafetensors(
      names.map((name) => ({ name, dtype: 'u8', shape: [] })),
      null,
    );
    expect(layout.map((e) => e.name)).toEqual(['', 'B', 'a', 'ab', '\uFF5E', '\u{1F600}']);
  });

  it('gives the same bytes for a Map, [name, tensor] pairs and a record, whatever the input order', () => {
    const a = f32([2], [1, 2]);
    const b = tensor('i64', [1], BigInt64Array.of(-5n));
    const fromMap = writeSafetensors(
      new Map([
        ['z', a],
        ['y', b],
      ]),
    );
    expect(
      writeSafetensors([
        ['y', b],
        ['z', a],
      ]),
    ).toEqual(fromMap);
    expect(writeSafetensors({ y: b, z: a })).toEqual(fromMap);
  });
});

describe('writeSafetensors: metadata', () => {
  const t = { w: f32([1], [1]) };
  it('defaults to {"format":"pt"}, as PEFT writes', () => {
    expect(headerText(writeSafetensors(t)).startsWith('{"__metadata__":{"format":"pt"},"w":')).toBe(true);
  });
  it('writes no __metadata__ for null and an empty object for {}', () => {
    expect(headerText(writeSafetensors(t, null)).startsWith('{"w":')).toBe(true);
    expect(headerText(writeSafetensors(t, {})).startsWith('{"__metadata__":{},"w":')).toBe(true);
  });
  it('keeps the key order of a Map, integer-like keys included', () => {
    const meta = new Map([
      ['b', '1'],
      ['1', 'x'],
      ['a', '2'],
    ]);
    expect(headerText(writeSafetensors(t, meta)).startsWith('{"__metadata__":{"b":"1","1":"x","a":"2"},')).toBe(true);
  });
  it('rejects non-string values and a "__proto__" key', () => {
    expect(ruleOf(() => writeSafetensors(t, { a: 1 } as unknown as Record<string, string>))).toBe('metadata');
    expect(ruleOf(() => writeSafetensors(t, JSON.parse('{"__proto__":"x"}') as Record<string, string>))).toBe(
      'forbidden-key',
    );
    expect(ruleOf(() => writeSafetensors(t, { a: '\ud800' }))).toBe('metadata');
  });
});

describe('writeSafetensors: JSON strings are escaped exactly like serde_json', () => {
  // Independent reference: JSON.stringify escapes well-formed strings exactly as serde_json does
  // (\" \\ \b \f \n \r \t, other C0 controls as lower-case \u00xx, everything else raw).
  it('matches JSON.stringify for names and metadata of arbitrary well-formed Unicode (seed 42)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ unit: 'binary', maxLength: 12 }), { maxLength: 6 }),
        fc.array(fc.tuple(fc.string({ unit: 'binary', maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 8 })), {
          maxLength: 4,
        }),
        (rawNames, metaPairs) => {
          const names = rawNames.filter((n) => n !== '__metadata__' && n !== '__proto__');
          const meta = new Map(metaPairs.filter(([k]) => k !== '__proto__'));
          const { header, layout } = planSafetensors(
            names.map((name) => ({ name, dtype: 'u8', shape: [name.length] })),
            meta,
          );
          const metaJson = [...meta].map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',');
          const entries = layout.map(
            (e) =>
              `${JSON.stringify(e.name)}:${JSON.stringify({ dtype: 'U8', shape: e.shape, data_offsets: [e.begin, e.end] })}`,
          );
          const want = `{${[`"__metadata__":{${metaJson}}`, ...entries].join(',')}}`;
          return headerText(header).trimEnd() === want;
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });

  it('writes control characters, quotes, backslashes, DEL and U+2028 the serde way', () => {
    const name = 'a"b\\c\b\f\n\r\t\u0000\u001f\u007f\u2028é/';
    const text = headerText(planSafetensors([{ name, dtype: 'u8', shape: [0] }], null).header);
    expect(text.startsWith('{"a\\"b\\\\c\\b\\f\\n\\r\\t\\u0000\\u001f\u007f\u2028é/":')).toBe(true);
  });
});

describe('planSafetensors: streaming', () => {
  it('header + each tensor in layout order equals writeSafetensors, and the header is padded with spaces to 8', () => {
    const tensors = new Map<string, HostTensor>([
      ['x', tensor('bf16', [3], Uint16Array.of(1, 2, 3))],
      ['y', f32([2, 2], [1, 2, 3, 4])],
      ['z', tensor('u8', [5], Uint8Array.of(9, 8, 7, 6, 5))],
    ]);
    const { header, layout, dataSize } = planSafetensors([...tensors].map(([name, t]) => ({ name, ...t })));
    expect(header.length % 8).toBe(0);
    expect(u64le(header)).toBe(header.length - 8);
    const text = headerText(header);
    expect(text.slice(text.lastIndexOf('}') + 1)).toMatch(/^ {0,7}$/);
    const parts = [header, ...layout.map((e) => new Uint8Array(tensors.get(e.name)!.data.buffer))];
    const streamed = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (streamed.set(p, at), at + p.length), 0);
    expect(streamed).toEqual(writeSafetensors(tensors));
    expect(dataSize).toBe(layout.at(-1)!.end);
  });
});

describe('writeSafetensors: invalid input is a typed error naming the tensor', () => {
  const ok = f32([1], [0]);
  it.each([
    ['a reserved name', () => writeSafetensors(new Map([['__metadata__', ok]])), 'forbidden-key'],
    ['"__proto__" as a name', () => writeSafetensors(new Map([['__proto__', ok]])), 'forbidden-key'],
    [
      'a duplicate name',
      () =>
        writeSafetensors([
          ['a', ok],
          ['a', ok],
        ]),
      'duplicate-key',
    ],
    ['a lone surrogate', () => writeSafetensors({ 'x\udc00': ok }), 'tensor-name'],
    ['an unknown dtype', () => writeSafetensors({ a: { ...ok, dtype: 'f128' as DType } }), 'dtype'],
    ['a negative dimension', () => planSafetensors([{ name: 'a', dtype: 'f32', shape: [-1] }]), 'shape'],
    ['a fractional dimension', () => planSafetensors([{ name: 'a', dtype: 'f32', shape: [1.5] }]), 'shape'],
    ['a non-pair item', () => writeSafetensors([['a']] as unknown as [string, HostTensor][]), 'entry'],
    ['a non-tensor value', () => writeSafetensors({ a: null as unknown as HostTensor }), 'entry'],
  ])('%s', (_, fn, rule) => {
    expect(ruleOf(fn)).toBe(rule);
  });

  it('reports data that does not fit the shape or dtype as a ShapeError', () => {
    expect(() => writeSafetensors({ a: { dtype: 'f32', shape: [3], data: new Float32Array(2) } })).toThrow(ShapeError);
    expect(() =>
      writeSafetensors({ a: { dtype: 'f32', shape: [1], data: new Float64Array(1) } as unknown as HostTensor }),
    ).toThrow(ShapeError);
  });

  it('reports a file larger than 2^53 bytes as a ResourceLimitError before allocating', () => {
    expect(() => planSafetensors([{ name: 'a', dtype: 'f64', shape: [2 ** 30, 2 ** 30, 2 ** 30] }])).toThrow(
      ResourceLimitError,
    );
  });

  it('names the tensor in the error', () => {
    try {
      writeSafetensors({ 'layer.0.weight': { ...ok, dtype: 'f128' as DType } });
      expect.unreachable();
    } catch (e) {
      expect((e as CheckpointFormatError).tensor).toBe('layer.0.weight');
      expect((e as Error).message).toContain('"layer.0.weight"');
    }
  });
});

describe('writeSafetensors → readSafetensors', () => {
  it('round-trips zero-size tensors and scalars and keeps odd names intact', () => {
    const input = new Map<string, HostTensor>([
      ['constructor', zeros('f32', [0, 3])],
      ['prototype', tensor('f64', [], Float64Array.of(-0))],
      ['a"\n', zeros('i16', [2, 0])],
    ]);
    const back = readSafetensors(writeSafetensors(input)).tensors;
    expect([...back.keys()].sort()).toEqual([...input.keys()].sort());
    expect(back.get('prototype')!.shape).toEqual([]);
    expect(Object.is(back.get('prototype')!.data[0], -0)).toBe(true);
    expect(back.get('constructor')!.shape).toEqual([0, 3]);
  });
});
