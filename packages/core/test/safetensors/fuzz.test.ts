import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckpointFormatError, ResourceLimitError, UnsupportedError } from '@vblora/core';
import { readSafetensors, readSafetensorsHeader } from '../../src/checkpoint/safetensors-read.js';
import { SAFETENSORS_DTYPE_ORDER } from '../../src/checkpoint/safetensors-dtypes.js';
import { writeSafetensors } from '../../src/checkpoint/safetensors-write.js';
import { buildFile, goldenSafetensorsFiles, headerText, readGolden } from './helpers/files.js';

// Seeded mutation fuzzing of the reader. Property: a file either parses — and then its tensors are exactly the
// declared byte ranges and write → read → write is stable — or the reader throws CheckpointFormatError,
// ResourceLimitError or UnsupportedError. Anything else (TypeError, RangeError, a hang) fails the test.
// Budget: VBLORA_FUZZ_RUNS runs per property (default 1500 each: about 1.5 s on an idle 2-core machine, 3–4 s under load).
// VBLORA_FUZZ_STATS=1 prints how often each outcome occurred.
const RUNS = Number(process.env['VBLORA_FUZZ_RUNS'] ?? 1500);
const TIMEOUT_MS = Math.max(60_000, RUNS * 3); // about 1 ms a run; big budgets must not trip vitest's timeout
const SEED = 20240917;
const CORPUS = goldenSafetensorsFiles().map(readGolden);
const stats = new Map<string, number>();
const count = (k: string): void => void stats.set(k, (stats.get(k) ?? 0) + 1);

const enc = new TextEncoder();
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

function check(bytes: Uint8Array): void {
  let file;
  try {
    file = readSafetensors(bytes);
  } catch (e) {
    if (e instanceof CheckpointFormatError) return count(e.rule);
    if (e instanceof ResourceLimitError) return count(`limit:${e.limit}`);
    if (e instanceof UnsupportedError) return count('unsupported');
    throw e;
  }
  count('parsed');
  const { entries, dataStart } = readSafetensorsHeader(bytes, bytes.length);
  for (const e of entries) {
    const t = file.tensors.get(e.name)!;
    const view = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    if (!sameBytes(view, bytes.subarray(dataStart + e.begin, dataStart + e.end))) throw new Error(`bytes of ${e.name}`);
  }
  const again = writeSafetensors(file.tensors, file.metadata);
  const back = readSafetensors(again);
  if ([...back.tensors.keys()].sort().join('\0') !== [...file.tensors.keys()].sort().join('\0'))
    throw new Error('names');
  if (JSON.stringify(back.metadata) !== JSON.stringify(file.metadata)) throw new Error('metadata');
  if (!sameBytes(writeSafetensors(back.tensors, back.metadata), again)) throw new Error('re-write is not stable');
}

// ---- mutations of golden files -------------------------------------------------------------------------------

const NUMBERS = [
  '0',
  '-1',
  '-0',
  '1.5',
  '1e3',
  '00',
  '2147483648',
  '4294967296',
  '9007199254740991',
  '9007199254740992',
  '9007199254740993',
  '18446744073709551615',
  '18446744073709551616',
  '1e400',
  '[]',
  '"1"',
  'null',
];
const DTYPES = [...SAFETENSORS_DTYPE_ORDER, 'f32', 'F31', '', 'BOOL ', 'F32\u0000'];
const KEYS = ['__proto__', 'constructor', 'prototype', '__metadata__', 'toString', '', 'dtype', 'hasOwnProperty'];
const CHARS = [
  '{',
  '}',
  '[',
  ']',
  '"',
  ',',
  ':',
  '\\',
  ' ',
  '0',
  '9',
  '-',
  '.',
  'e',
  '\u0000',
  '\uffff',
  '\ud800',
  'é',
];

type TextEdit = (text: string, k: number) => string;
const nth = (text: string, re: RegExp, k: number): RegExpExecArray | undefined => {
  const all = [...text.matchAll(re)];
  return all.length === 0 ? undefined : all[k % all.length];
};
const splice = (text: string, m: RegExpExecArray | undefined, by: (s: string) => string): string =>
  m === undefined ? text : text.slice(0, m.index) + by(m[0]) + text.slice(m.index + m[0].length);
const ENTRY = /"((?:[^"\\]|\\.)*)":\{"dtype":"[^"]*","shape":\[[^\]]*\],"data_offsets":\[[^\]]*\]\}/g;

const textEdit: fc.Arbitrary<TextEdit> = fc.oneof(
  fc
    .oneof(
      fc.constantFrom(...NUMBERS),
      fc.nat().map(String),
      fc.integer({ min: -3, max: 3 }).map((d) => `~${d}`),
    )
    .map(
      (v): TextEdit =>
        (t, k) =>
          splice(t, nth(t, /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g, k), (s) =>
            v.startsWith('~') ? String(Number(s) + Number(v.slice(1))) : v,
          ),
    ),
  fc.constantFrom(...DTYPES).map(
    (d): TextEdit =>
      (t, k) =>
        splice(t, nth(t, /"dtype":"[^"]*"/g, k), () => `"dtype":"${d}"`),
  ),
  fc.array(fc.oneof(fc.nat(9), fc.constantFrom(0, 2 ** 31, 2 ** 53, 2 ** 64)), { maxLength: 4 }).map(
    (s): TextEdit =>
      (t, k) =>
        splice(t, nth(t, /"shape":\[[^\]]*\]/g, k), () => `"shape":[${s.join(',')}]`),
  ),
  fc.array(fc.oneof(fc.nat(5000), fc.constantFrom(2 ** 31, 2 ** 53)), { maxLength: 3 }).map(
    (o): TextEdit =>
      (t, k) =>
        splice(t, nth(t, /"data_offsets":\[[^\]]*\]/g, k), () => `"data_offsets":[${o.join(',')}]`),
  ),
  fc.constant<TextEdit>((t, k) => splice(t, nth(t, ENTRY, k), (s) => `${s},${s}`)), // duplicate a whole tensor key
  fc.constantFrom('dtype', 'shape', 'data_offsets').map(
    (f): TextEdit =>
      (t, k) =>
        splice(t, nth(t, new RegExp(`"${f}":("[^"]*"|\\[[^\\]]*\\])`, 'g'), k), (s) => `${s},${s}`),
  ),
  fc.constantFrom(...KEYS).map(
    (key): TextEdit =>
      (t, k) =>
        splice(t, nth(t, ENTRY, k), (s) => `"${key}"${s.slice(s.indexOf('":') + 1)}`),
  ),
  fc.constantFrom(...KEYS).map(
    (key): TextEdit =>
      (t) =>
        t.replace('"__metadata__":{', `"__metadata__":{"${key}":"x",`),
  ),
  fc.oneof(fc.integer({ min: 1, max: 80 }), fc.constant(100_000)).map(
    (d): TextEdit =>
      (t, k) =>
        splice(t, nth(t, /\d+/g, k), () =>
          d % 2 ? '['.repeat(d) + ']'.repeat(d) : '{"a":'.repeat(d) + '1' + '}'.repeat(d),
        ),
  ),
  fc.tuple(fc.constantFrom(...CHARS), fc.nat(), fc.constantFrom(0, 1)).map(([c, at, del]): TextEdit => (t) => {
    const i = at % (t.length + 1);
    return t.slice(0, i) + c + t.slice(i + del);
  }),
  fc.constantFrom(' ', '\n', '\ufeff', '[', '"', '1,').map(
    (p): TextEdit =>
      (t) =>
        p + t,
  ), // break "starts with {"
  fc.constant<TextEdit>((t, k) => {
    // swap the names of two tensors: a valid header whose name order no longer matches the data order
    const a = nth(t, ENTRY, k);
    const b = nth(t, ENTRY, k + 1);
    if (a?.[1] === undefined || b?.[1] === undefined || a.index === b.index) return t;
    return t.replace(`"${a[1]}":`, '\u0001').replace(`"${b[1]}":`, `"${a[1]}":`).replace('\u0001', `"${b[1]}":`);
  }),
);

type Mutation = (file: Uint8Array) => Uint8Array;
const withHeader = (file: Uint8Array, text: string, length: 'fix' | 'pad' | 'keep'): Uint8Array => {
  const oldN = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  const json = enc.encode(length === 'pad' ? text.trimEnd().padEnd(Math.ceil(text.trimEnd().length / 8) * 8) : text);
  const data = file.subarray(8 + oldN);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(length === 'keep' ? oldN : json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
};

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.array(textEdit, { minLength: 1, maxLength: 3 }),
        fc.nat(),
        fc.constantFrom('fix', 'pad', 'keep') as fc.Arbitrary<'fix' | 'pad' | 'keep'>,
      )
      .map(
        ([edits, k, length]): Mutation =>
          (f) =>
            withHeader(
              f,
              edits.reduce((t, e, i) => e(t, k + i), headerText(f)),
              length,
            ),
      ),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean())
      .map(([at, x, inHeader]): Mutation => (f) => {
        const out = f.slice();
        const n = Number(new DataView(f.buffer).getBigUint64(0, true));
        const i = inHeader ? at % Math.min(f.length, 8 + n) : at % f.length;
        out[i] = out[i]! ^ x;
        return out;
      }),
  },
  {
    weight: 1,
    arbitrary: fc.nat().map(
      (at): Mutation =>
        (f) =>
          f.slice(0, at % (f.length + 1)),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ minLength: 1, maxLength: 16 }).map((tail): Mutation => (f) => {
      const out = new Uint8Array(f.length + tail.length);
      out.set(f);
      out.set(tail, f.length);
      return out;
    }),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: -9, max: 9 }).map(BigInt))
      .map((v): Mutation => (f) => {
        const out = f.slice();
        const dv = new DataView(out.buffer);
        const n = dv.getBigUint64(0, true);
        dv.setBigUint64(0, v >= -9n && v <= 9n ? BigInt.asUintN(64, n + v) : v, true);
        return out;
      }),
  },
);

// ---- generated headers ---------------------------------------------------------------------------------------

const generated: fc.Arbitrary<Uint8Array> = fc
  .record({
    entries: fc.array(
      fc.record({
        name: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom(...KEYS)),
        dtype: fc.constantFrom(...DTYPES),
        shape: fc.array(fc.oneof(fc.nat(4), fc.constantFrom(0, 2 ** 30)), { maxLength: 3 }),
        consistent: fc.boolean(),
        offsets: fc.tuple(fc.nat(64), fc.nat(64)),
      }),
      { maxLength: 5 },
    ),
    metadata: fc.option(fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 })),
    extra: fc.integer({ min: -2, max: 2 }),
  })
  .map(({ entries, metadata, extra }) => {
    const sizes: Record<string, number> = {
      BOOL: 1,
      U8: 1,
      I8: 1,
      F8_E5M2: 1,
      F8_E4M3: 1,
      I16: 2,
      U16: 2,
      F16: 2,
      BF16: 2,
    };
    let at = 0;
    const parts = metadata === null ? [] : [`"__metadata__":${JSON.stringify(metadata)}`];
    for (const e of entries) {
      const size = e.shape.reduce((a, b) => a * b, sizes[e.dtype] ?? (e.dtype.endsWith('64') ? 8 : 4));
      const offsets = e.consistent ? [at, at + size] : e.offsets;
      at = e.consistent ? at + size : at;
      parts.push(
        `${JSON.stringify(e.name)}:${JSON.stringify({ dtype: e.dtype, shape: e.shape, data_offsets: offsets })}`,
      );
    }
    return buildFile(`{${parts.join(',')}}`, Math.max(0, Math.min(at + extra, 1 << 16)));
  });

describe('safetensors reader fuzz (seed in the case name)', () => {
  it(
    `mutated golden files, seed ${SEED}`,
    () => {
      fc.assert(
        fc.property(fc.nat(CORPUS.length - 1), mutation, (i, m) => check(m(CORPUS[i]!))),
        { seed: SEED, numRuns: RUNS },
      );
      expect(stats.get('parsed') ?? 0).toBeGreaterThan(0);
      expect(stats.size).toBeGreaterThan(10); // many different rules were reached, not one failure mode
    },
    TIMEOUT_MS,
  );

  it(
    `generated headers, seed ${SEED + 1}`,
    () => {
      fc.assert(fc.property(generated, check), { seed: SEED + 1, numRuns: RUNS });
      if (process.env['VBLORA_FUZZ_STATS']) console.info(Object.fromEntries([...stats].sort((a, b) => b[1] - a[1])));
    },
    TIMEOUT_MS,
  );
});
