import fc from 'fast-check';

// Seeded generators of JSON *text* that exercise what JSON.stringify never writes: float literals with and
// without fractions/exponents, NaN/Infinity, escapes of every kind, lone surrogates, astral keys, odd spacing.

const ws = fc.constantFrom('', ' ', '\n', '\t', '\r\n  ');

const SHORT: Readonly<Record<number, string>> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x08: '\\b',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
};

function hex4(u: number, upper: boolean): string {
  const h = u.toString(16).padStart(4, '0');
  return upper ? h.toUpperCase() : h;
}

/** A JSON string literal written with a random mix of raw characters and escapes. */
export const stringLiteral = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc.integer({ min: 0x20, max: 0x7e }),
        fc.integer({ min: 0, max: 0x1f }),
        fc.integer({ min: 0x7f, max: 0xffff }),
        fc.integer({ min: 0x10000, max: 0x10ffff }),
      ),
      fc.integer({ min: 0, max: 3 }),
    ),
    { maxLength: 12 },
  )
  .map((units) => {
    let out = '"';
    for (const [cp, style] of units) {
      const isSurrogate = cp >= 0xd800 && cp <= 0xdfff;
      const mustEscape = cp < 0x20 || cp === 0x22 || cp === 0x5c || isSurrogate;
      if (cp > 0xffff) {
        const s = String.fromCodePoint(cp);
        out += style === 0 ? s : `\\u${hex4(s.charCodeAt(0), style === 1)}\\u${hex4(s.charCodeAt(1), style === 1)}`;
      } else if (mustEscape || style === 0) {
        out += style !== 3 && SHORT[cp] !== undefined ? SHORT[cp] : `\\u${hex4(cp, style === 1)}`;
      } else {
        out += cp === 0x2f && style === 2 ? '\\/' : String.fromCharCode(cp);
      }
    }
    return `${out}"`;
  });

/** A JSON number literal (Python int or float), including exotic but valid spellings and Python's extras. */
export const numberLiteral = fc.oneof(
  fc.integer({ min: -1e6, max: 1e6 }).map(String),
  fc.maxSafeInteger().map(String),
  fc.constantFrom(
    '0',
    '-0',
    '0.0',
    '-0.0',
    '1e5',
    '1E+2',
    '2.50e-3',
    '1e400',
    '-1e400',
    '1e-400',
    '9007199254740993.0',
  ),
  fc.constantFrom('NaN', 'Infinity', '-Infinity'),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => {
    const s = String(x);
    return /[.e]/.test(s) ? s : `${s}.0`;
  }),
  fc
    .tuple(fc.integer({ min: 0, max: 99999 }), fc.nat(999), fc.integer({ min: -330, max: 330 }))
    .map(([i, f, e]) => `${i}.${f}e${e}`),
);

const { value: jsonTextValue } = fc.letrec<{ value: string; object: string; array: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    stringLiteral,
    numberLiteral,
    fc.constantFrom('true', 'false', 'null'),
    tie('object'),
    tie('array'),
  ),
  array: fc
    .array(fc.tuple(ws, tie('value'), ws), { maxLength: 5 })
    .map((items) => (items.length === 0 ? '[]' : `[${items.map(([a, v, b]) => a + v + b).join(',')}]`)),
  object: fc
    .uniqueArray(fc.tuple(stringLiteral, tie('value'), ws), {
      maxLength: 5,
      // Keys must differ once decoded, or the text has duplicate keys.
      selector: ([k]) => JSON.parse(k) as string,
    })
    .map((entries) =>
      entries.length === 0 ? '{}' : `{${entries.map(([k, v, w]) => `${w}${k}${w}:${w}${v}${w}`).join(',')}}`,
    ),
}));

/** JSON text of an array holding any value (number kinds are recorded per container, so never a bare scalar). */
export const jsonText = jsonTextValue.map((v) => `[${v}]`);
