/**
 * `adapter_config.json` read by core's one strict JSON reader (`json/strict-json.ts`). Strict, and not
 * `JSON.parse`, to: tell a Python int (`0`) from a Python float (`0.0`, `1e-05`) so files re-serialise to their
 * own bytes; reject duplicate keys (Python would silently keep the last one); cap nesting and value count while
 * reading; and accept what Python's `json.load` accepts beyond RFC 8259 (`NaN`, `Infinity`, `-Infinity`), since
 * PEFT can write those. This file words the reader's problems as {@link ConfigError}s and builds the values.
 *
 * Objects get every key as an own data property (never via assignment), so `__proto__` or `constructor` keys are
 * plain data, exactly as with `JSON.parse`.
 * @module
 */
import { ConfigError } from '../errors.js';
import { readStrictJson, type JsonNode, type JsonPath, type JsonProblem } from '../json/strict-json.js';
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

/** The escapes JSON has, for messages. */
const ESCAPE_LIST = 'one of \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX';

function describeChar(ch: string | undefined): string {
  if (ch === undefined) return 'end of input';
  const cp = ch.codePointAt(0) ?? 0;
  return cp < 0x20 || cp === 0x7f ? `control character U+${cp.toString(16).padStart(4, '0')}` : JSON.stringify(ch);
}

/** The reader's syntax problems (the others have errors of their own below). */
type SyntaxCode = Exclude<JsonProblem['code'], 'depth' | 'values' | 'duplicate-key'>;

/**
 * For each syntax problem: what was found (default: the character at its position), and what was expected there.
 */
const SYNTAX: Readonly<Record<SyntaxCode, { found?: (text: string, p: JsonProblem) => string; expected: string }>> = {
  bom: {
    found: () => 'a UTF-8 byte-order mark',
    expected: 'a JSON value (Python json.load rejects a BOM too; save without it)',
  },
  value: { expected: 'a JSON value' },
  trailing: { expected: 'end of input after the value' },
  'number-digit': { expected: 'a digit' },
  'number-fraction': { expected: 'a digit after the decimal point' },
  'number-exponent': { expected: 'a digit in the exponent' },
  'unterminated-string': { expected: 'a closing quote of the string' },
  'control-character': { expected: 'an escaped character (raw control characters are invalid)' },
  escape: { found: (text, p) => `escape \\${text[p.at + 1] ?? ''}`, expected: ESCAPE_LIST },
  'hex-escape': {
    found: (text, p) => JSON.stringify(text.slice(p.at, p.at + 4)),
    expected: 'four hex digits after \\u',
  },
  // lone surrogates are accepted here (Python's json.load does), so these three never come
  'lone-low-surrogate': { expected: 'a valid \\u escape' },
  'lone-high-surrogate': { expected: 'a valid \\u escape' },
  'unpaired-high-surrogate': { expected: 'a valid \\u escape' },
  key: { expected: 'a string key in double quotes' },
  colon: { expected: "':' after the key" },
  'object-separator': { expected: "',' or '}'" },
  'array-separator': { expected: "',' or ']'" },
};

/** The path of `path` for messages (`auto_mapping.base_model_class`, `target_modules[2]`), '' at the top. */
function pathText(path: JsonPath): string {
  return path.reduce<string>((parent, key) => childPath(parent, key), '');
}

/** Line and column of character `at`, for messages. */
function lineColumn(text: string, at: number): string {
  const before = text.slice(0, at);
  return `line ${before.split('\n').length} column ${at - before.lastIndexOf('\n')}`;
}

/** Throws the config error for a problem of the reader. */
function fail(text: string, limits: Required<ConfigLimits>, p: JsonProblem): never {
  if (p.code === 'depth') return depthExceeded(limits.maxDepth, pathText(p.path) || 'top level');
  if (p.code === 'values') return valuesExceeded(limits.maxValues);
  if (p.code === 'duplicate-key') {
    const where = pathText(p.path);
    throw new ConfigError(
      `duplicate key ${JSON.stringify(p.key)} in ${where === '' ? 'the top-level object' : where} of the adapter ` +
        `config at ${lineColumn(text, p.at)}; Python's json.load would silently keep the last value, so keep only one`,
      childPath(where, p.key!),
    );
  }
  // an unknown escape is reported at the character after the backslash
  const at = p.code === 'escape' ? p.at + 1 : p.at;
  const { found, expected } = SYNTAX[p.code];
  const what = found === undefined ? describeChar(text[at]) : found(text, p);
  throw new ConfigError(
    `invalid JSON in adapter config at ${lineColumn(text, at)}: found ${what}, expected ${expected}`,
  );
}

/** Rejects an integer literal outside the exactly representable range, where the reader meets it. */
function checkInteger(raw: string, path: JsonPath): void {
  if (/[.eEIN]/.test(raw) || Number.isSafeInteger(Number(raw))) return;
  const where = pathText(path);
  throw new ConfigError(
    `integer ${raw.length > 40 ? `${raw.slice(0, 40)}...` : raw} at ${where || 'top level'} is ` +
      `outside the exactly representable range -9007199254740991..9007199254740991`,
    where || undefined,
  );
}

/** A number node's value and whether Python reads it as a float. */
function numberValue(raw: string): { value: number; isFloat: boolean } {
  if (raw === 'NaN') return { value: NaN, isFloat: true };
  if (raw === 'Infinity') return { value: Infinity, isFloat: true };
  if (raw === '-Infinity') return { value: -Infinity, isFloat: true };
  const value = Number(raw);
  if (/[.eE]/.test(raw)) return { value, isFloat: true };
  // A Python int has no negative zero.
  return { value: value === 0 ? 0 : value, isFloat: false };
}

/** The JSON value of a node; containers remember which of their numbers were Python floats. */
function toValue(node: JsonNode): JsonValue {
  switch (node.kind) {
    case 'string':
    case 'literal':
      return node.value;
    case 'number':
      return numberValue(node.raw).value;
    case 'array': {
      const arr: JsonValue[] = [];
      trackNumberKinds(arr);
      node.items.forEach((item, index) => {
        if (item.kind === 'number' && numberValue(item.raw).isFloat) markPyFloat(arr, index);
        arr.push(toValue(item));
      });
      return arr;
    }
    case 'object': {
      const obj: JsonObject = {};
      trackNumberKinds(obj);
      for (const [key, item] of node.members) {
        if (item.kind === 'number' && numberValue(item.raw).isFloat) markPyFloat(obj, key);
        setOwn(obj, key, toValue(item));
      }
      return obj;
    }
  }
}

/**
 * Parses JSON text strictly (plus Python's `NaN`/`Infinity`/`-Infinity`), recording which numbers were Python
 * floats (see `py-number-kinds.ts`). Throws `ConfigError` on bad syntax or duplicate keys and
 * `ResourceLimitError` past `maxDepth`/`maxValues`. @internal
 */
export function parseJsonText(text: string, limits: Required<ConfigLimits>): JsonValue {
  const root = readStrictJson(text, {
    maxDepth: limits.maxDepth,
    maxValues: limits.maxValues,
    pythonConstants: true,
    onNumber: (node, path) => checkInteger(node.raw, path),
    fail: (p) => fail(text, limits, p),
  });
  return toValue(root);
}
