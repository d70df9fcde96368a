/**
 * Python's `repr()` / `str()` of JSON-like values, so that messages PEFT builds with f-strings (unknown-key
 * warning, invalid task type, the targeting errors and warnings) read the same here. The one home of Python's
 * value text in core: config and targeting both use it.
 * @module
 */
import { pyFloatRepr, pyIntRepr } from './py-float-repr.js';

// Python's str.isprintable() is false for categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs other than ' '.
const NON_PRINTABLE = /^[\p{C}\p{Z}]$/u;

function hex(cp: number, width: number): string {
  return cp.toString(16).padStart(width, '0');
}

/** Python's `repr(s)` of a str: quotes chosen as Python does, non-printables escaped (`\x..`, `\u....`, `\U...`). */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`;
    else if (cp < 0x7f || !NON_PRINTABLE.test(ch)) out += ch;
    else if (cp <= 0xff) out += `\\x${hex(cp, 2)}`;
    else if (cp <= 0xffff) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return out + quote;
}

/** Python's text of a number: an int when it is a safe integer and not known to be a float, else float repr. */
export function pyNumberRepr(x: number, isFloat = false): string {
  return !isFloat && Number.isSafeInteger(x) ? pyIntRepr(x) : pyFloatRepr(x);
}

/** Python's `repr()` of a JSON-like value (None/True/False, str, int/float, list, dict). */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return pyStrRepr(value);
  if (typeof value === 'number') return pyNumberRepr(value);
  if (Array.isArray(value)) return `[${value.map((v) => pyRepr(v)).join(', ')}]`;
  if (typeof value === 'object') {
    const parts = Object.keys(value).map((k) => `${pyStrRepr(k)}: ${pyRepr((value as Record<string, unknown>)[k])}`);
    return `{${parts.join(', ')}}`;
  }
  return pyStrRepr(String(value));
}

/** Python's `str()`: a str as itself, anything else as its repr (what an f-string `{value}` prints). */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

/**
 * Python's `str()` of a set PEFT built from a list and prints with an f-string: `{'a', 'b'}` with the items in
 * the given order (callers pass them in the order to show), `set()` when empty; a str stays itself.
 */
export function pySetStr(value: string | readonly (string | number)[]): string {
  if (typeof value === 'string') return value;
  return value.length === 0 ? 'set()' : `{${value.map((v) => pyRepr(v)).join(', ')}}`;
}
