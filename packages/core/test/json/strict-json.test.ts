import { describe, expect, it } from 'vitest';
import { readStrictJson, type JsonProblem, type StrictJsonOptions } from '../../src/json/strict-json.js';

/** Reads `text`, returning the tree or the problem the reader reported. */
function read(text: string, options: Partial<StrictJsonOptions> = {}): unknown {
  try {
    return readStrictJson(text, {
      maxDepth: 8,
      ...options,
      fail: (p) => {
        throw p;
      },
    });
  } catch (p) {
    return p as JsonProblem;
  }
}

describe('readStrictJson', () => {
  it('keeps positions, member order and number text', () => {
    expect(read(' {"b": 1.50, "a": [true, null, "x"]}')).toEqual({
      kind: 'object',
      pos: 1,
      members: [
        ['b', { kind: 'number', pos: 7, raw: '1.50' }],
        [
          'a',
          {
            kind: 'array',
            pos: 18,
            items: [
              { kind: 'literal', pos: 19, value: true },
              { kind: 'literal', pos: 25, value: null },
              { kind: 'string', pos: 31, value: 'x' },
            ],
          },
        ],
      ],
    });
  });

  it("accepts Python's NaN / Infinity / -Infinity only when asked", () => {
    expect(read('[NaN, -Infinity]')).toMatchObject({ code: 'value', at: 1 });
    expect(read('[NaN, Infinity, -Infinity]', { pythonConstants: true })).toMatchObject({
      items: [{ raw: 'NaN' }, { raw: 'Infinity' }, { raw: '-Infinity' }],
    });
  });

  it('rejects lone surrogate escapes only when asked', () => {
    expect(read('"\\ud800"')).toEqual({ kind: 'string', pos: 0, value: '\ud800' });
    expect(read('"\\ud800"', { rejectLoneSurrogates: true })).toMatchObject({ code: 'lone-high-surrogate', at: 1 });
    expect(read('"\\ud800\\u0041"', { rejectLoneSurrogates: true })).toMatchObject({
      code: 'unpaired-high-surrogate',
      at: 7,
    });
    expect(read('"\\ud83d\\ude00"', { rejectLoneSurrogates: true })).toMatchObject({ value: '😀' });
  });

  it('reports duplicate keys with the holding object’s path, depth and value caps', () => {
    expect(read('{"m": [{"k": 1, "k": 2}]}')).toMatchObject({
      code: 'duplicate-key',
      key: 'k',
      at: 16,
      path: ['m', 0],
    });
    expect(read('[[1]]', { maxDepth: 1 })).toMatchObject({ code: 'depth', at: 1, path: [0] });
    expect(read('[1, 2]', { maxValues: 2 })).toMatchObject({ code: 'values', at: 4 });
  });

  it('reports a number problem with where the number starts', () => {
    expect(read('[12.]')).toMatchObject({ code: 'number-fraction', at: 4, start: 1 });
    expect(read('[1e+]')).toMatchObject({ code: 'number-exponent', at: 4, start: 1 });
    expect(read('[-x]')).toMatchObject({ code: 'number-digit', at: 2, start: 1 });
  });
});
