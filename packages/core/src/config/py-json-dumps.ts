/**
 * Python's `json.dumps(value, indent=2, sort_keys=True)` with its defaults (`ensure_ascii=True`,
 * `allow_nan=True`): the exact bytes PEFT writes for `adapter_config.json` (SPEC §1.4).
 * @module
 */
import { pyIntRepr, pyJsonFloat } from './py-float-repr.js';
import { recordedPyFloat } from './py-number-kinds.js';
import type { JsonValue } from './types.js';

/** Decides whether an integral number at `container[key]` is written as a float when no side-table entry says. */
export type FloatFallback = (container: object, key: string | number) => boolean;

const SHORT_ESCAPES: Readonly<Record<number, string>> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x08: '\\b',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
};

/** A JSON string literal as Python writes it with `ensure_ascii=True`: `\uXXXX` (lowercase hex) for non-ASCII. */
export function pyJsonString(s: string): string {
  let out = '"';
  let chunk = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c) continue;
    out += s.slice(chunk, i);
    // Code units map one to one onto Python's output: astral characters come out as surrogate pairs either way.
    out += SHORT_ESCAPES[c] ?? `\\u${c.toString(16).padStart(4, '0')}`;
    chunk = i + 1;
  }
  return `${out}${s.slice(chunk)}"`;
}

/** Orders strings by Unicode code point, as Python sorts `str` (JS's default sort compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length) {
    const ca = a.codePointAt(i) ?? 0;
    const cb = b.codePointAt(i) ?? 0;
    if (ca !== cb) return ca - cb;
    i += ca > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}

function numberText(container: object, key: string | number, x: number, fallback: FloatFallback): string {
  if (!Number.isSafeInteger(x)) return pyJsonFloat(x);
  const recorded = recordedPyFloat(container, key);
  return (recorded ?? fallback(container, key)) ? pyJsonFloat(x) : pyIntRepr(x);
}

function dumpChild(container: object, key: string | number, v: JsonValue, indent: string, fb: FloatFallback): string {
  if (typeof v === 'number') return numberText(container, key, v, fb);
  return dumpValue(v, indent, fb);
}

function dumpValue(v: JsonValue, indent: string, fb: FloatFallback): string {
  if (v === null) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'string') return pyJsonString(v);
  if (typeof v === 'number') return Number.isSafeInteger(v) ? pyIntRepr(v) : pyJsonFloat(v);
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    const items = v.map((item, i) => inner + dumpChild(v, i, item, inner, fb));
    return `[\n${items.join(',\n')}\n${indent}]`;
  }
  const keys = Object.keys(v).sort(compareCodePoints);
  if (keys.length === 0) return '{}';
  const items = keys.map((k) => `${inner}${pyJsonString(k)}: ${dumpChild(v, k, v[k] as JsonValue, inner, fb)}`);
  return `{\n${items.join(',\n')}\n${indent}}`;
}

/**
 * Serialises like Python's `json.dumps(value, indent=2, sort_keys=True)`. An integral number is written as a
 * float (`0.0`) when the number-kind side table says its source was a float, or, for containers without an
 * entry, when `fallback` says so (default: never). Non-integral and non-finite numbers are always floats. @internal
 */
export function pyJsonDumps(value: JsonValue, fallback: FloatFallback = () => false): string {
  return dumpValue(value, '', fallback);
}
