/**
 * The one strict JSON reader of core, used for `adapter_config.json` (config/json-text.ts) and for safetensors
 * headers (checkpoint/safetensors-json-parse.ts). Why not `JSON.parse`: it silently keeps the last of duplicate
 * keys, turns `"__proto__"` into a prototype hazard for later code, loses integers above 2^53 and the difference
 * between `1` and `1.0`, and cannot cap nesting or size before recursing.
 *
 * It reads RFC 8259 JSON into a tree that keeps every value's position, objects as ordered member lists and
 * numbers as their source text, and rejects duplicate keys. Options add what one caller needs: Python's `NaN`,
 * `Infinity`, `-Infinity` (`json.load` accepts them), a cap on the number of values, rejecting lone surrogate
 * escapes (serde_json does). It never builds an error message: each problem goes to the caller's `fail` with its
 * position, so each file format keeps its own error class and wording.
 * @internal
 * @module
 */

/** A parsed JSON value with its character position in the text. @internal */
export type JsonNode = JsonObject | JsonArray | JsonString | JsonNumber | JsonLiteral;
/** A JSON object as an ordered member list (no prototype, duplicates already rejected). @internal */
export interface JsonObject {
  readonly kind: 'object';
  readonly pos: number;
  readonly members: readonly (readonly [string, JsonNode])[];
}
/** A JSON array. @internal */
export interface JsonArray {
  readonly kind: 'array';
  readonly pos: number;
  readonly items: readonly JsonNode[];
}
/** A JSON string, unescaped. @internal */
export interface JsonString {
  readonly kind: 'string';
  readonly pos: number;
  readonly value: string;
}
/**
 * A JSON number kept as its exact source text (`NaN`, `Infinity`, `-Infinity` too where allowed), so large or
 * fractional values can be judged by the caller. @internal
 */
export interface JsonNumber {
  readonly kind: 'number';
  readonly pos: number;
  readonly raw: string;
}
/** `true`, `false` or `null`. @internal */
export interface JsonLiteral {
  readonly kind: 'literal';
  readonly pos: number;
  readonly value: boolean | null;
}

/** Where a value stands: object keys and array indices from the top, outermost first. @internal */
export type JsonPath = readonly (string | number)[];

/**
 * One problem the reader found, at character `at`. `path` is where it stands (for `depth`, the path of the
 * container that is too deep; for `duplicate-key`, the object holding the key). Codes:
 * `bom` a byte-order mark first; `value` no JSON value starts at `at`; `trailing` text after the value;
 * `number-digit` / `number-fraction` / `number-exponent` a digit missing in a number starting at `start`;
 * `unterminated-string` (string opened at `start`); `control-character` a raw one inside a string;
 * `escape` an unknown escape (its backslash at `at`); `hex-escape` `\u` not followed by 4 hex digits (the
 * digits' place at `at`); `lone-low-surrogate`, `lone-high-surrogate` (escape at `at`), `unpaired-high-surrogate`
 * (the escape that should be a low surrogate at `at`); `key` no string key; `colon`; `object-separator` neither
 * `,` nor `}`; `array-separator` neither `,` nor `]`; `depth` nesting past `maxDepth`; `values` more than
 * `maxValues` values; `duplicate-key` `key` a second time (at its opening quote).
 * @internal
 */
export interface JsonProblem {
  readonly code:
    | 'bom'
    | 'value'
    | 'trailing'
    | 'number-digit'
    | 'number-fraction'
    | 'number-exponent'
    | 'unterminated-string'
    | 'control-character'
    | 'escape'
    | 'hex-escape'
    | 'lone-low-surrogate'
    | 'lone-high-surrogate'
    | 'unpaired-high-surrogate'
    | 'key'
    | 'colon'
    | 'object-separator'
    | 'array-separator'
    | 'depth'
    | 'values'
    | 'duplicate-key';
  readonly at: number;
  /** Where the number or string with the problem starts (else `at`). */
  readonly start: number;
  readonly path: JsonPath;
  /** The repeated key (`duplicate-key` only). */
  readonly key?: string;
}

/** Options of {@link readStrictJson}. @internal */
export interface StrictJsonOptions {
  /** Deepest nesting of objects and arrays; the top-level container is depth 1. */
  readonly maxDepth: number;
  /** Most values (scalars, containers and object keys counted alike); default unlimited. */
  readonly maxValues?: number;
  /** Accept Python's `NaN`, `Infinity` and `-Infinity` as numbers (default false). */
  readonly pythonConstants?: boolean;
  /** Reject `\u` escapes that leave a lone UTF-16 surrogate (default false). */
  readonly rejectLoneSurrogates?: boolean;
  /** Called with each number as it is read (the caller may reject it there, before the rest is read). */
  readonly onNumber?: (node: JsonNumber, path: JsonPath) => void;
  /** Throws the caller's error for a problem; never returns. */
  readonly fail: (problem: JsonProblem) => never;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};
const HEX4 = /^[0-9A-Fa-f]{4}$/;

/**
 * Reads a whole JSON text (whitespace around the value allowed) into a {@link JsonNode} tree, or calls
 * `options.fail` with the first problem.
 * @internal
 */
export function readStrictJson(text: string, options: StrictJsonOptions): JsonNode {
  const { maxDepth, maxValues = Infinity, pythonConstants = false, rejectLoneSurrogates = false, onNumber } = options;
  let i = 0;
  let values = 0;
  const path: (string | number)[] = [];
  // Explicitly typed so that control-flow analysis treats calls as never returning.
  const fail: (code: JsonProblem['code'], at?: number, start?: number, key?: string) => never = (
    code,
    at = i,
    start = at,
    key,
  ) => options.fail({ code, at, start, path: [...path], ...(key === undefined ? {} : { key }) });

  const ws = (): void => {
    let c = text.charCodeAt(i);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++i);
  };
  const count = (): void => {
    if (++values > maxValues) fail('values');
  };
  const digits = (): boolean => {
    const start = i;
    let c = text.charCodeAt(i);
    while (c >= 0x30 && c <= 0x39) c = text.charCodeAt(++i);
    return i > start;
  };
  const hex4 = (at: number): number => {
    const h = text.slice(at, at + 4);
    if (!HEX4.test(h)) fail('hex-escape', at);
    return parseInt(h, 16);
  };

  const str = (): string => {
    const open = i;
    i++; // opening quote
    let out = '';
    let chunk = i;
    for (;;) {
      if (i >= text.length) fail('unterminated-string', i, open);
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(chunk, i);
        i++;
        return out;
      }
      if (c < 0x20) fail('control-character');
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(chunk, i);
      const e = text[i + 1];
      if (e !== 'u') {
        const s = e !== undefined && Object.hasOwn(SIMPLE_ESCAPES, e) ? SIMPLE_ESCAPES[e] : undefined;
        if (s === undefined) fail('escape');
        out += s;
        i += 2;
      } else {
        const u = hex4(i + 2);
        if (rejectLoneSurrogates && u >= 0xdc00 && u <= 0xdfff) fail('lone-low-surrogate');
        if (rejectLoneSurrogates && u >= 0xd800 && u <= 0xdbff) {
          if (text[i + 6] !== '\\' || text[i + 7] !== 'u') fail('lone-high-surrogate');
          const lo = hex4(i + 8);
          if (lo < 0xdc00 || lo > 0xdfff) fail('unpaired-high-surrogate', i + 6);
          out += String.fromCharCode(u, lo);
          i += 12;
        } else {
          out += String.fromCharCode(u);
          i += 6;
        }
      }
      chunk = i;
    }
  };

  const number = (): JsonNumber => {
    const pos = i;
    if (text[i] === '-') {
      i++;
      if (pythonConstants && text.startsWith('Infinity', i)) {
        i += 8;
        return { kind: 'number', pos, raw: '-Infinity' };
      }
    }
    if (text[i] === '0') i++;
    else if (!digits()) fail('number-digit', i, pos);
    if (text[i] === '.') {
      i++;
      if (!digits()) fail('number-fraction', i, pos);
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (!digits()) fail('number-exponent', i, pos);
    }
    return { kind: 'number', pos, raw: text.slice(pos, i) };
  };

  const word = <V>(w: string, make: (pos: number) => V): V => {
    if (!text.startsWith(w, i)) fail('value');
    const pos = i;
    i += w.length;
    return make(pos);
  };

  const value = (depth: number): JsonNode => {
    count();
    const c = text[i];
    switch (c) {
      case '{':
      case '[':
        if (depth + 1 > maxDepth) fail('depth');
        return c === '{' ? object(depth + 1) : array(depth + 1);
      case '"': {
        const pos = i;
        return { kind: 'string', pos, value: str() };
      }
      case 't':
        return word('true', (pos) => ({ kind: 'literal', pos, value: true }));
      case 'f':
        return word('false', (pos) => ({ kind: 'literal', pos, value: false }));
      case 'n':
        return word('null', (pos) => ({ kind: 'literal', pos, value: null }));
      case 'N':
      case 'I':
        if (!pythonConstants) return fail('value');
        return word(c === 'N' ? 'NaN' : 'Infinity', (pos) => ({ kind: 'number', pos, raw: text.slice(pos, i) }));
      default: {
        if (c !== '-' && !(c !== undefined && c >= '0' && c <= '9')) return fail('value');
        const node = number();
        onNumber?.(node, path);
        return node;
      }
    }
  };

  const object = (depth: number): JsonObject => {
    const pos = i;
    i++; // {
    const members: (readonly [string, JsonNode])[] = [];
    const seen = new Set<string>();
    ws();
    if (text[i] === '}') {
      i++;
      return { kind: 'object', pos, members };
    }
    for (;;) {
      ws();
      if (text[i] !== '"') fail('key');
      count();
      const keyPos = i;
      const key = str();
      if (seen.has(key)) fail('duplicate-key', keyPos, keyPos, key);
      seen.add(key);
      ws();
      if (text[i] !== ':') fail('colon');
      i++;
      ws();
      path.push(key);
      members.push([key, value(depth)]);
      path.pop();
      ws();
      const c = text[i];
      if (c !== ',' && c !== '}') fail('object-separator');
      i++;
      if (c === '}') return { kind: 'object', pos, members };
    }
  };

  const array = (depth: number): JsonArray => {
    const pos = i;
    i++; // [
    const items: JsonNode[] = [];
    ws();
    if (text[i] === ']') {
      i++;
      return { kind: 'array', pos, items };
    }
    for (;;) {
      ws();
      path.push(items.length);
      items.push(value(depth));
      path.pop();
      ws();
      const c = text[i];
      if (c !== ',' && c !== ']') fail('array-separator');
      i++;
      if (c === ']') return { kind: 'array', pos, items };
    }
  };

  if (text.charCodeAt(0) === 0xfeff) fail('bom', 0);
  ws();
  const root = value(0);
  ws();
  if (i < text.length) fail('trailing');
  return root;
}
