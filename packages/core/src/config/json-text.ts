/**
 * A small strict JSON reader for config files. It exists (instead of `JSON.parse`) to: tell a Python int (`0`)
 * from a Python float (`0.0`, `1e-05`) so files re-serialise to their own bytes; reject duplicate keys (Python
 * would silently keep the last one); cap nesting and value count while reading; and accept what Python's
 * `json.load` accepts beyond RFC 8259 (`NaN`, `Infinity`, `-Infinity`), since PEFT can write those.
 *
 * Objects get every key as an own data property (never via assignment), so `__proto__` or `constructor` keys are
 * plain data, exactly as with `JSON.parse`.
 * @module
 */
import { ConfigError } from '../errors.js';
import { depthExceeded, valuesExceeded, type ConfigLimits } from './limits.js';
import { markPyFloat, trackNumberKinds } from './py-number-kinds.js';
import type { JsonObject, JsonValue } from './types.js';

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Path of a child for messages: `auto_mapping.base_model_class`, `target_modules[2]`, `x["a b"]`. @internal */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (IDENTIFIER.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

/** Defines `obj[key] = value` as an own enumerable data property, whatever the key (`__proto__` included). @internal */
export function setOwn(obj: object, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

function describeChar(ch: string | undefined): string {
  if (ch === undefined) return 'end of input';
  const cp = ch.codePointAt(0) ?? 0;
  return cp < 0x20 || cp === 0x7f ? `control character U+${cp.toString(16).padStart(4, '0')}` : JSON.stringify(ch);
}

class Reader {
  private pos = 0;
  private values = 0;
  /** Set by `readValue`: whether the value just read was a Python float literal. */
  private lastWasFloat = false;

  constructor(
    private readonly text: string,
    private readonly limits: Required<ConfigLimits>,
  ) {}

  read(): JsonValue {
    if (this.text.charCodeAt(0) === 0xfeff) {
      this.fail('a UTF-8 byte-order mark', 'a JSON value (Python json.load rejects a BOM too; save without it)');
    }
    this.skipWs();
    const value = this.readValue(1, '');
    this.skipWs();
    if (this.pos < this.text.length) this.fail(describeChar(this.text[this.pos]), 'end of input after the value');
    return value;
  }

  private where(): string {
    const before = this.text.slice(0, this.pos);
    const line = before.split('\n').length;
    return `line ${line} column ${this.pos - before.lastIndexOf('\n')}`;
  }

  private fail(found: string, expected: string): never {
    throw new ConfigError(`invalid JSON in adapter config at ${this.where()}: found ${found}, expected ${expected}`);
  }

  private skipWs(): void {
    const t = this.text;
    let c = t.charCodeAt(this.pos);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = t.charCodeAt(++this.pos);
  }

  private count(): void {
    if (++this.values > this.limits.maxValues) valuesExceeded(this.limits.maxValues);
  }

  private expectWord(word: string): void {
    if (this.text.startsWith(word, this.pos)) this.pos += word.length;
    else this.fail(describeChar(this.text[this.pos]), 'a JSON value');
  }

  private readValue(depth: number, path: string): JsonValue {
    this.count();
    this.lastWasFloat = false;
    const ch = this.text[this.pos];
    switch (ch) {
      case '{': {
        const obj = this.readObject(depth, path);
        this.lastWasFloat = false;
        return obj;
      }
      case '[': {
        const arr = this.readArray(depth, path);
        this.lastWasFloat = false;
        return arr;
      }
      case '"':
        return this.readString();
      case 't':
        this.expectWord('true');
        return true;
      case 'f':
        this.expectWord('false');
        return false;
      case 'n':
        this.expectWord('null');
        return null;
      case 'N':
        this.expectWord('NaN');
        this.lastWasFloat = true;
        return NaN;
      case 'I':
        this.expectWord('Infinity');
        this.lastWasFloat = true;
        return Infinity;
      default:
        if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return this.readNumber(path);
        return this.fail(describeChar(ch), 'a JSON value');
    }
  }

  private readNumber(path: string): number {
    const t = this.text;
    const start = this.pos;
    if (t[this.pos] === '-') {
      this.pos++;
      if (t.startsWith('Infinity', this.pos)) {
        this.pos += 8;
        this.lastWasFloat = true;
        return -Infinity;
      }
    }
    if (t[this.pos] === '0') this.pos++;
    else if (!this.digits()) this.fail(describeChar(t[this.pos]), 'a digit');
    let isFloat = false;
    if (t[this.pos] === '.') {
      this.pos++;
      if (!this.digits()) this.fail(describeChar(t[this.pos]), 'a digit after the decimal point');
      isFloat = true;
    }
    if (t[this.pos] === 'e' || t[this.pos] === 'E') {
      this.pos++;
      if (t[this.pos] === '+' || t[this.pos] === '-') this.pos++;
      if (!this.digits()) this.fail(describeChar(t[this.pos]), 'a digit in the exponent');
      isFloat = true;
    }
    const literal = t.slice(start, this.pos);
    const value = Number(literal);
    this.lastWasFloat = isFloat;
    if (isFloat) return value;
    if (!Number.isSafeInteger(value)) {
      throw new ConfigError(
        `integer ${literal.length > 40 ? `${literal.slice(0, 40)}...` : literal} at ${path || 'top level'} is ` +
          `outside the exactly representable range -9007199254740991..9007199254740991`,
        path || undefined,
      );
    }
    // A Python int has no negative zero.
    return value === 0 ? 0 : value;
  }

  private digits(): boolean {
    const t = this.text;
    const start = this.pos;
    let c = t.charCodeAt(this.pos);
    while (c >= 0x30 && c <= 0x39) c = t.charCodeAt(++this.pos);
    return this.pos > start;
  }

  private readString(): string {
    const t = this.text;
    this.pos++; // opening quote
    let out = '';
    let chunk = this.pos;
    for (;;) {
      const c = t.charCodeAt(this.pos);
      if (Number.isNaN(c)) this.fail('end of input', 'a closing quote of the string');
      if (c === 0x22) {
        out += t.slice(chunk, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) this.fail(describeChar(t[this.pos]), 'an escaped character (raw control characters are invalid)');
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      out += t.slice(chunk, this.pos);
      const esc = t[this.pos + 1];
      if (esc === 'u') {
        const hex = t.slice(this.pos + 2, this.pos + 6);
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) {
          this.pos += 2;
          this.fail(JSON.stringify(hex), 'four hex digits after \\u');
        }
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 6;
      } else {
        const known = esc !== undefined && Object.prototype.hasOwnProperty.call(ESCAPES, esc);
        const decoded = known ? ESCAPES[esc] : undefined;
        if (decoded === undefined) {
          this.pos++;
          this.fail(`escape \\${esc ?? ''}`, 'one of \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX');
        }
        out += decoded;
        this.pos += 2;
      }
      chunk = this.pos;
    }
  }

  private readArray(depth: number, path: string): JsonValue[] {
    if (depth > this.limits.maxDepth) depthExceeded(this.limits.maxDepth, path || 'top level');
    const arr: JsonValue[] = [];
    trackNumberKinds(arr);
    this.pos++;
    this.skipWs();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return arr;
    }
    for (;;) {
      this.skipWs();
      const index = arr.length;
      const value = this.readValue(depth + 1, childPath(path, index));
      if (this.lastWasFloat) markPyFloat(arr, index);
      arr.push(value);
      this.skipWs();
      const ch = this.text[this.pos];
      this.pos++;
      if (ch === ']') return arr;
      if (ch !== ',') {
        this.pos--;
        this.fail(describeChar(ch), "',' or ']'");
      }
    }
  }

  private readObject(depth: number, path: string): JsonObject {
    if (depth > this.limits.maxDepth) depthExceeded(this.limits.maxDepth, path || 'top level');
    const obj: JsonObject = {};
    trackNumberKinds(obj);
    this.pos++;
    this.skipWs();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return obj;
    }
    for (;;) {
      this.skipWs();
      if (this.text[this.pos] !== '"') this.fail(describeChar(this.text[this.pos]), 'a string key in double quotes');
      this.count();
      const keyPos = this.pos;
      const key = this.readString();
      const keyPath = childPath(path, key);
      if (Object.prototype.hasOwnProperty.call(obj, key)) {
        this.pos = keyPos;
        throw new ConfigError(
          `duplicate key ${JSON.stringify(key)} in ${path === '' ? 'the top-level object' : path} of the adapter ` +
            `config at ${this.where()}; Python's json.load would silently keep the last value, so keep only one`,
          keyPath,
        );
      }
      this.skipWs();
      if (this.text[this.pos] !== ':') this.fail(describeChar(this.text[this.pos]), "':' after the key");
      this.pos++;
      this.skipWs();
      const value = this.readValue(depth + 1, keyPath);
      if (this.lastWasFloat) markPyFloat(obj, key);
      setOwn(obj, key, value);
      this.skipWs();
      const ch = this.text[this.pos];
      this.pos++;
      if (ch === '}') return obj;
      if (ch !== ',') {
        this.pos--;
        this.fail(describeChar(ch), "',' or '}'");
      }
    }
  }
}

/**
 * Parses JSON text strictly (plus Python's `NaN`/`Infinity`/`-Infinity`), recording which numbers were Python
 * floats (see `py-number-kinds.ts`). Throws `ConfigError` on bad syntax or duplicate keys and
 * `ResourceLimitError` past `maxDepth`/`maxValues`. @internal
 */
export function parseJsonText(text: string, limits: Required<ConfigLimits>): JsonValue {
  return new Reader(text, limits).read();
}
