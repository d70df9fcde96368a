/**
 * Python's `format()` for the two specs PEFT prints counts with: `{:,d}` and `{:.4f}`.
 * @module
 */
import { ConfigError } from '../errors.js';

/** Python's `format(n, ",d")`: an integer with comma thousands separators (`-1,234,567`). */
export function formatPythonGrouped(n: number | bigint): string {
  if (typeof n === 'number' && !Number.isSafeInteger(n)) {
    throw new ConfigError(`format spec ',d' needs an integer; got ${n} (Python raises ValueError)`);
  }
  const big = BigInt(n);
  const digits = (big < 0n ? -big : big).toString();
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return big < 0n ? `-${grouped}` : grouped;
}

/**
 * Python's `format(x, f".{digits}f")`: the exact binary value rounded half to even (JavaScript's `toFixed`
 * rounds exact ties up, e.g. 0.03125 gives "0.0313" where Python prints "0.0312"); keeps the sign of -0.0.
 */
export function formatPythonFixed(x: number, digits: number): string {
  if (!Number.isSafeInteger(digits) || digits < 0 || digits > 100) {
    throw new ConfigError(`precision must be an integer from 0 to 100; got ${digits}`);
  }
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const negative = x < 0 || Object.is(x, -0);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  // |x| = mantissa * 2^power exactly
  const mantissa = exponent === 0 ? fraction : fraction | (1n << 52n);
  const power = exponent === 0 ? -1074 : exponent - 1075;
  const scaled = mantissa * 10n ** BigInt(digits);
  let q: bigint;
  if (power >= 0) q = scaled << BigInt(power);
  else {
    const den = 1n << BigInt(-power);
    q = scaled / den;
    const twice = 2n * (scaled % den);
    if (twice > den || (twice === den && (q & 1n) === 1n)) q += 1n;
  }
  const text = q.toString().padStart(digits + 1, '0');
  const whole = text.slice(0, text.length - digits);
  const sign = negative ? '-' : '';
  return digits === 0 ? `${sign}${whole}` : `${sign}${whole}.${text.slice(text.length - digits)}`;
}
