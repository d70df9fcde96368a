import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pyFloatRepr, pyJsonFloat } from '../../src/config/py-float-repr.js';
import { PYTHON, runPython } from './helpers/python.js';

// Exactness: every comparison here is string equality (tolerance: none).

/** A double from its 64 raw bits. */
function fromBits(bits: bigint): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, bits);
  return view.getFloat64(0);
}

const anyDouble = fc.oneof(
  fc.double(),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(fromBits),
  // Around the notation switch points 1e-5..1e-4 and 1e15..1e17.
  fc.tuple(fc.integer({ min: -6, max: 17 }), fc.integer({ min: 1, max: 9999 })).map(([e, m]) => m * 10 ** (e - 3)),
);

describe('pyFloatRepr', () => {
  // Values quoted by SPEC §1.4 as Python writes them, and the layout rules of Python's float repr
  // (Python docs, "format-spec": repr uses the shortest round-tripping digits and switches to scientific
  // notation when the exponent is < -4 or >= 16; fixed notation always keeps a fraction).
  it.each([
    [0.1, '0.1'],
    [0.02, '0.02'],
    [1e-5, '1e-05'],
    [1e16, '1e+16'],
    [0, '0.0'],
    [-0, '-0.0'],
    [1e15, '1000000000000000.0'],
    [1e-4, '0.0001'],
    [100, '100.0'],
    [0.30000000000000004, '0.30000000000000004'],
  ])('repr(%s) = %s', (x, text) => {
    expect(pyFloatRepr(x)).toBe(text);
  });

  it('writes non-finite values as Python repr and json.dumps do', () => {
    expect([NaN, Infinity, -Infinity].map(pyFloatRepr)).toEqual(['nan', 'inf', '-inf']);
    expect([NaN, Infinity, -Infinity].map(pyJsonFloat)).toEqual(['NaN', 'Infinity', '-Infinity']);
  });

  it('keeps the shortest round-trip digits and follows the layout rules on random doubles', () => {
    fc.assert(
      fc.property(anyDouble, (x) => {
        if (!Number.isFinite(x)) return;
        const text = pyFloatRepr(x);
        expect(Number(text)).toBe(x);
        const sci = /^-?(\d)(?:\.(\d+))?e([+-])(\d{2,3})$/.exec(text);
        const js = String(Math.abs(x)).replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
        if (sci !== null) {
          const exp = Number(`${sci[3]}${sci[4]}`);
          expect(exp < -4 || exp >= 16).toBe(true);
          expect(sci[4]?.length === 2 || Math.abs(exp) >= 100).toBe(true);
          expect(`${sci[1]}${sci[2] ?? ''}`).toBe(js === '' ? '0' : js);
        } else {
          expect(text).toMatch(/^-?\d+\.\d+$/);
          const exp = x === 0 ? 0 : Math.floor(Math.log10(Math.abs(x)));
          // log10 may be off by one at exact powers of ten; the digits check below is exact.
          expect(exp >= -5 && exp <= 16).toBe(true);
          const digits = text.replace('-', '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
          expect(digits === '' ? '0' : digits).toBe(js === '' ? '0' : js);
        }
      }),
      { seed: 20240904, numRuns: 3000 },
    );
  });

  it.skipIf(PYTHON === undefined)('matches CPython repr() and json.dumps() on seeded random doubles', () => {
    const runs = Number(process.env['VBLORA_PYREPR_RUNS'] ?? 4000);
    const xs = fc.sample(anyDouble, { seed: 7, numRuns: runs });
    xs.push(1e16, 1e15, 9999999999999998, 1e-5, 1e-4, 5e-324, 1.7976931348623157e308, 2 ** 53, 0.1 + 0.2);
    const input = xs.map((x) => fromDoubleHex(x)).join('\n');
    const script = [
      'import sys, struct, json',
      'for line in sys.stdin.read().split():',
      "    x = struct.unpack('>d', bytes.fromhex(line))[0]",
      "    print(repr(x) + ' ' + json.dumps(x))",
    ].join('\n');
    const lines = runPython(script, input).trim().split('\n');
    const mismatches = xs.filter((x, i) => lines[i] !== `${pyFloatRepr(x)} ${pyJsonFloat(x)}`);
    expect(lines.length).toBe(xs.length);
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});

function fromDoubleHex(x: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  return view.getBigUint64(0).toString(16).padStart(16, '0');
}
