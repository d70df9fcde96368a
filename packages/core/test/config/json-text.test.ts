import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, ResourceLimitError } from '../../src/errors.js';
import { parseJsonText } from '../../src/config/json-text.js';
import { DEFAULT_CONFIG_LIMITS } from '../../src/config/limits.js';
import { pyJsonDumps } from '../../src/config/py-json-dumps.js';
import { jsonText } from './helpers/json-text-arbitrary.js';
import { PYTHON, runPython } from './helpers/python.js';

// Exact comparisons throughout (tolerance: none).
const parse = (t: string): unknown => parseJsonText(t, DEFAULT_CONFIG_LIMITS);

describe('parseJsonText', () => {
  it('reads what JSON.parse reads, to the same values', () => {
    fc.assert(
      fc.property(fc.json(), (t) => {
        let ours: unknown;
        try {
          ours = parse(t);
        } catch (err) {
          // The one deliberate difference: an integer literal beyond 2^53 would silently change value.
          expect((err as Error).message).toMatch(/outside the exactly representable range/);
          return;
        }
        expect(ours).toEqual(JSON.parse(t));
      }),
      { seed: 11, numRuns: 500 },
    );
  });

  it("accepts Python's NaN, Infinity and -Infinity", () => {
    expect(parse('[NaN, Infinity, -Infinity]')).toEqual([NaN, Infinity, -Infinity]);
  });

  it.each([
    '',
    ' ',
    '{',
    '}',
    '[1,]',
    '{"a":1,}',
    '{"a" 1}',
    '{1:2}',
    "{'a':1}",
    '01',
    '1.',
    '.5',
    '+1',
    '-',
    '1e',
    '1e+',
    '[1 2]',
    'nul',
    'tru',
    '-NaN',
    'infinity',
    '"\\x"',
    '"\\u12G4"',
    '"abc',
    '"a\u0001b"',
    '1 2',
    '[',
    '\u00a0 1',
  ])('rejects %j with a ConfigError giving line and column', (t) => {
    expect(() => parse(t)).toThrow(ConfigError);
    expect(() => parse(t)).toThrow(/at line \d+ column \d+/);
  });

  it('rejects duplicate keys, naming the path', () => {
    try {
      parse('{"a": {"b": 1, "b": 2}}');
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe('a.b');
    }
  });

  it('rejects integers JS cannot hold exactly, but reads huge floats as Python does', () => {
    expect(() => parse('9007199254740993')).toThrow(ConfigError);
    expect(parse('9007199254740991')).toBe(9007199254740991);
    expect(parse('1e400')).toBe(Infinity);
    expect(Object.is(parse('-0'), 0)).toBe(true);
    expect(Object.is(parse('-0.0'), -0)).toBe(true);
  });

  it('caps depth without recursing past it', () => {
    expect(() => parseJsonText('['.repeat(33) + ']'.repeat(33), DEFAULT_CONFIG_LIMITS)).toThrow(ResourceLimitError);
    expect(() => parseJsonText('['.repeat(32) + ']'.repeat(32), DEFAULT_CONFIG_LIMITS)).not.toThrow();
    expect(() => parseJsonText('[0,0,0]', { ...DEFAULT_CONFIG_LIMITS, maxValues: 3 })).toThrow(ResourceLimitError);
  });
});

describe('pyJsonDumps after parseJsonText', () => {
  it('is a fixed point on generated JSON text', () => {
    fc.assert(
      fc.property(jsonText, (t) => {
        const once = pyJsonDumps(parseJsonText(t, DEFAULT_CONFIG_LIMITS));
        expect(pyJsonDumps(parseJsonText(once, DEFAULT_CONFIG_LIMITS))).toBe(once);
      }),
      { seed: 12, numRuns: 500 },
    );
  });

  it.skipIf(PYTHON === undefined)(
    'equals CPython json.dumps(json.loads(t), indent=2, sort_keys=True) on generated JSON text',
    () => {
      const runs = Number(process.env['VBLORA_PYJSON_RUNS'] ?? 400);
      const docs = fc.sample(jsonText, { seed: 13, numRuns: runs });
      const script = [
        'import sys, json',
        "docs = json.loads(sys.stdin.buffer.read().decode('utf-8'))",
        'print(json.dumps([json.dumps(json.loads(d), indent=2, sort_keys=True) for d in docs]))',
      ].join('\n');
      const expected = JSON.parse(runPython(script, JSON.stringify(docs))) as string[];
      const ours = docs.map((d) => pyJsonDumps(parseJsonText(d, DEFAULT_CONFIG_LIMITS)));
      const diffs = ours.flatMap((o, i) => (o === expected[i] ? [] : [{ doc: docs[i], ours: o, python: expected[i] }]));
      expect(diffs.slice(0, 3)).toEqual([]);
    },
  );
});
