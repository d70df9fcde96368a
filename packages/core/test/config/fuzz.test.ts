import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VBLoRAError } from '../../src/errors.js';
import { parseConfig, serializeConfig } from '../../src/config/index.js';
import { GOLDEN_CONFIGS } from './helpers/golden-configs.js';

// Seeded mutation fuzzing of PEFT's golden configs. Budget: VBLORA_FUZZ_RUNS (default 12000 runs: about 1.2 s of
// test time, ~2 s with startup, on the 2-core CI machine); the seed is fixed so a failure reproduces.
// Property: parseConfig returns or throws a VBLoRAError, nothing else; whenever it returns,
// serialise -> parse -> serialise is a fixed point (exact string equality).
const RUNS = Number(process.env['VBLORA_FUZZ_RUNS'] ?? 12000);
const SEED = 0x5eed_c0f9;

type Mutation = (text: string) => string;

const position = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const at = (text: string, p: number): number => Math.floor(p * (text.length + 1));

const randomJsonValueText = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.constantFrom(
    'NaN',
    'Infinity',
    '-Infinity',
    '-0',
    '-0.0',
    '1e999',
    '-1e999',
    '1e-999',
    '4.0',
    '1e+16',
    '1e-05',
    '123456789012345678901234567890',
    '9007199254740993',
    '0.1',
    'true',
    'null',
    '""',
    '[]',
    '{}',
    '"VBLORA"',
    '"\\ud800"',
    '"\\udfff\\ud800"',
    '"\u00e9\u4e2d\ud83d\ude00"',
    '"a_only"',
    '"FOO"',
    '[1.5]',
    '[-1]',
  ),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // Re-space the file (still valid JSON; the serialiser must restore PEFT's layout).
  fc.constantFrom('', ' ', '\t', '\r\n', '\n    ').map(
    (ws): Mutation =>
      (t) =>
        t.replace(/\n */g, ws),
  ),
  // Replace one character with any UTF-16 unit.
  fc.tuple(position, fc.integer({ min: 0, max: 0xffff })).map(([p, u]): Mutation => (t) => {
    const i = Math.min(at(t, p), t.length - 1);
    return t.slice(0, i) + String.fromCharCode(u) + t.slice(i + 1);
  }),
  // Truncate.
  position.map(
    (p): Mutation =>
      (t) =>
        t.slice(0, at(t, p)),
  ),
  // Swap the value of one top-level key for a random JSON value.
  fc.tuple(fc.nat(40), randomJsonValueText).map(([n, v]): Mutation => (t) => {
    const lines = t.split('\n');
    const keyLines = lines.flatMap((l, i) => (/^ {2}"[a-z_]+": /.test(l) ? [i] : []));
    const i = keyLines[n % Math.max(1, keyLines.length)];
    if (i === undefined) return t;
    const line = lines[i] ?? '';
    const comma = line.endsWith(',') || line.endsWith('[') || line.endsWith('{') ? ',' : '';
    // Containers span several lines; drop their body by replacing only simple one-line values.
    if (line.endsWith('[') || line.endsWith('{')) return t;
    lines[i] = `${line.slice(0, line.indexOf('": ') + 3)}${v}${comma}`;
    return lines.join('\n');
  }),
  // Deep nesting somewhere.
  fc.tuple(position, fc.integer({ min: 1, max: 5000 })).map(([p, n]): Mutation => (t) => {
    const i = at(t, p);
    return `${t.slice(0, i)}${'['.repeat(n)}${']'.repeat(n)}${t.slice(i)}`;
  }),
  // Insert a random JSON value text, or a key/value pair.
  fc.tuple(position, randomJsonValueText, fc.boolean()).map(([p, v, asPair]): Mutation => (t) => {
    const i = at(t, p);
    return t.slice(0, i) + (asPair ? `"k": ${v}, ` : v) + t.slice(i);
  }),
  // Duplicate a line (duplicate keys, or broken commas).
  fc.nat(60).map((n): Mutation => (t) => {
    const lines = t.split('\n');
    const i = n % lines.length;
    lines.splice(i, 0, lines[i] ?? '');
    return lines.join('\n');
  }),
  // Prototype-looking keys at the top level or in auto_mapping.
  fc.tuple(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString'), randomJsonValueText, fc.boolean()).map(
    ([k, v, nested]): Mutation =>
      (t) =>
        nested ? t.replace('"auto_mapping": {', `"auto_mapping": {"${k}": ${v}, `) : t.replace('{', `{"${k}": ${v}, `),
  ),
  // Unicode (any code point, lone surrogates included) inside a string value.
  fc
    .tuple(fc.nat(200), fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 4 }))
    .map(([n, units]): Mutation => (t) => {
      const quotes = [...t.matchAll(/"/g)].map((m) => m.index);
      const q = quotes[n % Math.max(1, quotes.length)];
      return q === undefined ? t : t.slice(0, q + 1) + String.fromCharCode(...units) + t.slice(q + 1);
    }),
);

const fuzzCase = fc.record({
  golden: fc.nat(GOLDEN_CONFIGS.length - 1),
  mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }),
  asBytes: fc.boolean(),
  byteFlip: fc.option(fc.tuple(position, fc.integer({ min: 0, max: 255 })), { nil: undefined }),
});

describe('parseConfig under mutation fuzzing', () => {
  it(`returns or throws a VBLoRAError, and round-trips when it returns (${RUNS} runs, seed ${SEED})`, () => {
    let parsedCount = 0;
    fc.assert(
      fc.property(fuzzCase, ({ golden, mutations, asBytes, byteFlip }) => {
        const g = GOLDEN_CONFIGS[golden];
        if (g === undefined) return;
        const text = mutations.reduce((t, m) => m(t), g.text);
        let input: string | Uint8Array = text;
        if (asBytes) {
          const bytes = new TextEncoder().encode(text);
          if (byteFlip !== undefined && bytes.length > 0) {
            bytes[Math.min(bytes.length - 1, Math.floor(byteFlip[0] * bytes.length))] = byteFlip[1];
          }
          input = bytes;
        }
        let once: string;
        try {
          once = serializeConfig(parseConfig(input).config);
        } catch (err) {
          if (!(err instanceof VBLoRAError)) throw err;
          return;
        }
        parsedCount++;
        expect(serializeConfig(parseConfig(once).config)).toBe(once);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    // Some mutations keep the file valid; if none parse, the round-trip half of the property never ran.
    expect(parsedCount).toBeGreaterThan(RUNS / 50);
  });
});
