/**
 * Python's `repr(float)` and `json.dumps` float text, derived from JS's shortest round-trip digits.
 *
 * Both languages print the shortest digit string that reads back to the same double (closest one when several
 * are that short); they differ only in layout. Python switches to scientific notation when the decimal exponent
 * is < -4 or >= 16 (JS: < -7 or >= 21), always signs the exponent and pads it to two digits (`1e-05`, `1e+16`),
 * and always shows a fraction in fixed notation (`100.0`).
 * @module
 */

/** Sign, shortest significant digits (no leading/trailing zeros) and decimal exponent of a finite non-zero double. */
interface ShortestDecimal {
  readonly negative: boolean;
  readonly digits: string;
  /** Value = `d.ddd × 10^exponent`. */
  readonly exponent: number;
}

function shortestDecimal(x: number): ShortestDecimal {
  const negative = x < 0;
  const s = String(negative ? -x : x);
  let digits: string;
  let exponent: number;
  const e = s.indexOf('e');
  if (e >= 0) {
    digits = s.slice(0, e).replace('.', '');
    exponent = Number(s.slice(e + 1));
  } else {
    const dot = s.indexOf('.');
    const intPart = dot >= 0 ? s.slice(0, dot) : s;
    const fracPart = dot >= 0 ? s.slice(dot + 1) : '';
    if (intPart !== '0') {
      digits = intPart + fracPart;
      exponent = intPart.length - 1;
    } else {
      const zeros = fracPart.length - fracPart.replace(/^0+/, '').length;
      digits = fracPart.slice(zeros);
      exponent = -(zeros + 1);
    }
  }
  digits = digits.replace(/0+$/, '');
  return { negative, digits: digits === '' ? '0' : digits, exponent };
}

function formatFinite(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const { negative, digits, exponent } = shortestDecimal(x);
  let body: string;
  if (exponent < -4 || exponent >= 16) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const expDigits = String(Math.abs(exponent)).padStart(2, '0');
    body = `${mantissa}e${exponent < 0 ? '-' : '+'}${expDigits}`;
  } else if (exponent >= 0) {
    const intLen = exponent + 1;
    body =
      digits.length <= intLen
        ? `${digits}${'0'.repeat(intLen - digits.length)}.0`
        : `${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
  } else {
    body = `0.${'0'.repeat(-exponent - 1)}${digits}`;
  }
  return negative ? `-${body}` : body;
}

/** Python's `repr(x)` for a float: `0.1`, `1e-05`, `1e+16`, `100.0`, `-0.0`, `nan`, `inf`, `-inf`. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return formatFinite(x);
}

/** How Python's `json.dumps` writes a float: like `repr`, but `NaN`, `Infinity`, `-Infinity` for the non-finite. */
export function pyJsonFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return formatFinite(x);
}

/** Python's text for an int held in a JS number (a safe integer; `-0` prints as `0`). */
export function pyIntRepr(x: number): string {
  return x === 0 ? '0' : String(x);
}
