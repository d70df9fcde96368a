import { describe, expect, it } from 'vitest';
import { CheckpointFormatError, ConfigError, ResourceLimitError, UnsupportedError } from '@vblora/core';
import {
  readSafetensors,
  readSafetensorsHeader,
  safetensorsHeaderSize,
} from '../../src/checkpoint/safetensors-read.js';
import { writeSafetensors } from '../../src/checkpoint/safetensors-write.js';
import { buildFile } from './helpers/files.js';

const entry = (dtype: string, shape: unknown, offsets: unknown): string =>
  JSON.stringify({ dtype, shape, data_offsets: offsets });
const OK = entry('F32', [2], [0, 8]); // a valid 8-byte tensor

/** The rule (and tensor) of the CheckpointFormatError that `fn` throws. */
function failure(fn: () => unknown): { rule: string; tensor: string | undefined } {
  try {
    fn();
  } catch (e) {
    if (e instanceof CheckpointFormatError) return { rule: e.rule, tensor: e.tensor };
    throw e;
  }
  throw new Error('expected a CheckpointFormatError');
}
const ruleOf = (bytes: Uint8Array): string => failure(() => readSafetensors(bytes)).rule;

describe('readSafetensors: framing', () => {
  it.each([0, 1, 7])('rejects a %i-byte file (rule file-length)', (n) => {
    expect(ruleOf(new Uint8Array(n))).toBe('file-length');
  });

  it('rejects a header length above the cap with a ResourceLimitError, before reading it', () => {
    const file = buildFile('{}');
    new DataView(file.buffer).setBigUint64(0, 100_000_001n, true);
    expect(() => readSafetensors(file)).toThrow(ResourceLimitError);
    new DataView(file.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
    expect(() => readSafetensors(file)).toThrow(ResourceLimitError);
    expect(() => readSafetensors(buildFile('{}      '), { maxHeaderBytes: 4 })).toThrow(ResourceLimitError);
  });

  it('rejects a header length beyond the end of the file (rule header-length)', () => {
    const file = buildFile('{}');
    new DataView(file.buffer).setBigUint64(0, 3n, true);
    expect(ruleOf(file)).toBe('header-length');
  });

  it.each([
    ['invalid byte', [0x7b, 0xff, 0x7d]],
    ['overlong encoding', [0x7b, 0xc0, 0xaf, 0x7d]],
    ['encoded surrogate', [0x7b, 0xed, 0xa0, 0x80, 0x7d]],
    ['truncated sequence', [0x7b, 0xe2, 0x82]],
  ])('rejects a header that is not UTF-8: %s (rule header-utf8)', (_, bytes) => {
    const file = new Uint8Array(8 + bytes.length);
    file[0] = bytes.length;
    file.set(bytes, 8);
    expect(ruleOf(file)).toBe('header-utf8');
  });

  it.each([' {}', '\n{}', '\uFEFF{}'])('rejects a header that does not start with "{": %j (rule header-start)', (h) => {
    expect(ruleOf(buildFile(h))).toBe('header-start');
  });

  it.each(['[]', '"x"', '1', 'null'])('rejects a header that is not an object: %s (rule header-not-object)', (h) => {
    expect(ruleOf(buildFile(h))).toBe('header-not-object');
  });

  it.each([
    '',
    '{',
    '{"a":}',
    `{"a":${OK},}`,
    '{"a" 1}',
    "{'a':1}",
    '{} x',
    '{}\u0000',
    '{"a":NaN}',
    '{"a":01}',
    '{"a":1.}',
    '{"a":-}',
    '{"a":tru}',
    '{"a\u0001":1}',
    '{"\\x":1}',
    '{"\\u12":1}',
    '{"\\ud800":1}',
    '{"\\udc00":1}',
    '{"\\ud800\\u0041":1}',
    '{/* c */}',
    '{"a":[1,]}',
  ])('rejects invalid JSON %j (rule header-json)', (h) => {
    expect(ruleOf(buildFile(h))).toBe('header-json');
  });

  it('accepts JSON whitespace after the object, as serde_json does', () => {
    expect(readSafetensors(buildFile('{} \t\r\n')).tensors.size).toBe(0);
  });
});

describe('readSafetensors: keys', () => {
  it('rejects duplicate tensor keys that JSON.parse would silently merge (rule duplicate-key)', () => {
    const h = `{"a":${OK},"a":${OK}}`;
    expect(Object.keys(JSON.parse(h) as object)).toEqual(['a']);
    expect(failure(() => readSafetensors(buildFile(h, 8)))).toEqual({ rule: 'duplicate-key', tensor: 'a' });
  });

  it('rejects duplicate fields inside an entry and inside __metadata__', () => {
    const dupField = '{"w":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    expect(failure(() => readSafetensors(buildFile(dupField, 8)))).toEqual({ rule: 'duplicate-key', tensor: 'w' });
    expect(ruleOf(buildFile('{"__metadata__":{"k":"1","k":"2"}}'))).toBe('duplicate-key');
  });

  it('rejects "__proto__" as a tensor name or metadata key (rule forbidden-key)', () => {
    expect(failure(() => readSafetensors(buildFile(`{"__proto__":${OK}}`, 8)))).toEqual({
      rule: 'forbidden-key',
      tensor: '__proto__',
    });
    expect(ruleOf(buildFile('{"__metadata__":{"__proto__":"x"}}'))).toBe('forbidden-key');
  });

  it('accepts "constructor", "prototype" and "toString" without touching any prototype', () => {
    const h = `{"__metadata__":{"constructor":"c","toString":"t"},"constructor":${OK},"prototype":${entry('F32', [2], [8, 16])}}`;
    const file = readSafetensors(buildFile(h, 16));
    expect([...file.tensors.keys()]).toEqual(['constructor', 'prototype']);
    expect(Object.getPrototypeOf(file.metadata)).toBe(null);
    expect(file.metadata?.constructor).toBe('c');
    expect(file.metadata?.toString).toBe('t');
    expect(Object.prototype.toString.call({})).toBe('[object Object]');
    expect(({} as Record<string, unknown>).constructor).toBe(Object);
  });

  it('reads "__metadata__": null as no metadata (serde reads null as None)', () => {
    expect(readSafetensors(buildFile('{"__metadata__":null}')).metadata).toBe(null);
  });

  it.each(['1', '"pt"', '[]', '{"a":1}', '{"a":null}', '{"a":{}}'])('rejects __metadata__ %s (rule metadata)', (m) => {
    expect(ruleOf(buildFile(`{"__metadata__":${m}}`))).toBe('metadata');
  });
});

describe('readSafetensors: entries', () => {
  const one = (e: string, size = 8): { rule: string; tensor: string | undefined } =>
    failure(() => readSafetensors(buildFile(`{"t":${e}}`, size)));

  it.each([
    ['not an object', '1', 'entry'],
    ['an unknown field', '{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}', 'entry'],
    ['a missing field', '{"dtype":"F32","shape":[2]}', 'entry'],
    ['a lower-case dtype', entry('f32', [2], [0, 8]), 'dtype'],
    ['an unknown dtype', entry('F31', [2], [0, 8]), 'dtype'],
    ['a numeric dtype', '{"dtype":4,"shape":[2],"data_offsets":[0,8]}', 'dtype'],
    ['a shape that is not an array', entry('F32', 2, [0, 8]), 'shape'],
    ['a negative dimension', entry('F32', [-2], [0, 8]), 'shape'],
    ['a fractional dimension', '{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}', 'shape'],
    ['an exponent dimension', '{"dtype":"F32","shape":[2e0],"data_offsets":[0,8]}', 'shape'],
    ['minus zero', '{"dtype":"F32","shape":[-0],"data_offsets":[0,0]}', 'shape'],
    ['a string dimension', entry('F32', ['2'], [0, 8]), 'shape'],
    ['a dimension above 2^53', '{"dtype":"F32","shape":[9007199254740993],"data_offsets":[0,8]}', 'shape'],
    ['one offset', entry('F32', [2], [0]), 'offsets'],
    ['three offsets', entry('F32', [2], [0, 8, 8]), 'offsets'],
    ['begin > end', entry('F32', [2], [8, 0]), 'offsets'],
    ['a huge offset', '{"dtype":"F32","shape":[2],"data_offsets":[0,1e400]}', 'offsets'],
    ['an offset above u64', '{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551616]}', 'offsets'],
    ['a shape product beyond 2^53', entry('F32', [2 ** 26, 2 ** 26, 2 ** 26, 0], [0, 0]), 'shape-overflow'],
    ['a span that does not match the shape', entry('F32', [3], [0, 8]), 'byte-span'],
    ['a span past the end of the file', entry('F32', [4], [0, 16]), 'coverage'],
  ])('rejects %s, naming the tensor', (_, e, rule) => {
    expect(one(e)).toEqual({ rule, tensor: 't' });
  });

  it.each(['C64', 'F4', 'F8_E8M0'])('reports the valid but unsupported dtype %s as UnsupportedError', (d) => {
    expect(() => readSafetensors(buildFile(`{"t":${entry(d, [1], [0, 8])}}`, 8))).toThrow(UnsupportedError);
  });

  it('fails fast on a 2 GB tensor declared in a 1 KB file, without allocating it', () => {
    const before = process.memoryUsage().arrayBuffers;
    const h = `{"big":${entry('F32', [536_870_912], [0, 2_147_483_648])}}`;
    expect(failure(() => readSafetensors(buildFile(h, 1024)))).toEqual({ rule: 'coverage', tensor: 'big' });
    expect(failure(() => readSafetensors(buildFile(`{"big":${entry('F32', [536_870_912], [0, 8])}}`, 8)))).toEqual({
      rule: 'byte-span',
      tensor: 'big',
    });
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
  });
});

describe('readSafetensors: layout of the data section', () => {
  it('rejects a gap before the first tensor or between tensors (rule coverage)', () => {
    expect(failure(() => readSafetensors(buildFile(`{"a":${entry('F32', [2], [4, 12])}}`, 12)))).toEqual({
      rule: 'coverage',
      tensor: 'a',
    });
    const gap = `{"a":${OK},"b":${entry('F32', [1], [12, 16])}}`;
    expect(failure(() => readSafetensors(buildFile(gap, 16)))).toEqual({ rule: 'coverage', tensor: 'b' });
  });

  it('rejects overlapping tensors (rule overlap)', () => {
    const h = `{"a":${OK},"b":${entry('F32', [2], [4, 12])}}`;
    expect(failure(() => readSafetensors(buildFile(h, 12)))).toEqual({ rule: 'overlap', tensor: 'b' });
  });

  it('rejects bytes after the last tensor (rule trailing-bytes)', () => {
    expect(failure(() => readSafetensors(buildFile(`{"a":${OK}}`, 9)))).toEqual({
      rule: 'trailing-bytes',
      tensor: 'a',
    });
    expect(ruleOf(buildFile('{}', 1))).toBe('trailing-bytes');
  });

  it('returns tensors in data order and accepts several zero-size tensors at one offset', () => {
    const h = `{"z":${entry('F64', [], [8, 16])},"e2":${entry('I16', [3, 0], [8, 8])},"a":${OK},"e1":${entry('U8', [0], [8, 8])}}`;
    const file = readSafetensors(buildFile(h, 16));
    expect([...file.tensors.keys()]).toEqual(['a', 'e2', 'e1', 'z']);
    expect(file.tensors.get('z')!.shape).toEqual([]);
    expect(file.tensors.get('e2')!.data.length).toBe(0);
  });

  it('caps the declared data size with maxTotalBytes (ResourceLimitError)', () => {
    const file = buildFile(`{"a":${OK}}`, 8);
    expect(() => readSafetensors(file, { maxTotalBytes: 7 })).toThrow(ResourceLimitError);
    expect(readSafetensors(file, { maxTotalBytes: 8 }).tensors.size).toBe(1);
  });

  it('caps JSON nesting with maxDepth (ResourceLimitError), even 100,000 levels deep', () => {
    const deep = (d: number): string => `{"__metadata__":${'['.repeat(d)}${']'.repeat(d)}}`;
    expect(() => readSafetensors(buildFile(deep(100)))).toThrow(ResourceLimitError);
    expect(() => readSafetensors(buildFile(deep(100_000)))).toThrow(ResourceLimitError);
    expect(ruleOf(buildFile(deep(2)))).toBe('metadata'); // within the cap: parsed, then judged by the schema
    expect(() => readSafetensors(buildFile(`{"t":${OK}}`, 8), { maxDepth: 2 })).toThrow(ResourceLimitError);
  });

  it('rejects invalid options with a ConfigError', () => {
    const file = buildFile('{}');
    expect(() => readSafetensors(file, { maxDepth: 5000 })).toThrow(ConfigError);
    expect(() => readSafetensors(file, { maxHeaderBytes: -1 })).toThrow(ConfigError);
    expect(() => readSafetensors('x' as unknown as Uint8Array)).toThrow(ConfigError);
  });
});

describe('readSafetensors: views and copies', () => {
  const values = Float32Array.of(1.5, -2, 3.25);
  const good = writeSafetensors({ w: { dtype: 'f32', shape: [3], data: values } }, null);

  it('returns a view into the input when the data is aligned', () => {
    const t = readSafetensors(good).tensors.get('w')!;
    expect(t.data.buffer).toBe(good.buffer);
    expect([...t.data]).toEqual([...values]);
  });

  it('copies into an aligned buffer when the input sits at an odd address', () => {
    const shifted = new Uint8Array(good.length + 1);
    shifted.set(good, 1);
    const t = readSafetensors(shifted.subarray(1)).tensors.get('w')!;
    expect(t.data.buffer).not.toBe(shifted.buffer);
    expect([...t.data]).toEqual([...values]);
  });

  it('copies when the header length is not a multiple of 8', () => {
    const file = buildFile(`{"w":${entry('F32', [3], [0, 12])}}`, new Uint8Array(values.buffer));
    expect((file.length - 12) % 4).not.toBe(0);
    const t = readSafetensors(file).tensors.get('w')!;
    expect(t.data.buffer).not.toBe(file.buffer);
    expect([...t.data]).toEqual([...values]);
  });

  it('copies everything when asked to', () => {
    const t = readSafetensors(good, { copy: true }).tensors.get('w')!;
    expect(t.data.buffer).not.toBe(good.buffer);
    expect([...t.data]).toEqual([...values]);
  });
});

describe('readSafetensorsHeader: streaming', () => {
  const file = writeSafetensors({ a: { dtype: 'f32', shape: [4], data: new Float32Array(4) } }, { k: 'v' });

  it('needs only 8 bytes to size the header and 8 + N to read it', () => {
    const size = safetensorsHeaderSize(file.subarray(0, 8), file.length);
    const header = readSafetensorsHeader(file.subarray(0, size), file.length);
    expect(header.dataStart).toBe(size);
    expect({ ...header.metadata }).toEqual({ k: 'v' });
    expect(header.entries).toEqual([{ name: 'a', dtype: 'f32', shape: [4], begin: 0, end: 16 }]);
  });

  it('rejects a prefix shorter than the header, and a file size that the data does not fill', () => {
    expect(failure(() => readSafetensorsHeader(file.subarray(0, 20), file.length)).rule).toBe('header-length');
    expect(failure(() => readSafetensorsHeader(file, file.length + 1)).rule).toBe('trailing-bytes');
    expect(() => readSafetensorsHeader(file, -1)).toThrow(ConfigError);
  });
});
