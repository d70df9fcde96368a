/**
 * A strict JSON parser for safetensors headers (RFC 8259, as strict as serde_json).
 *
 * Why not `JSON.parse`: it silently keeps the last of duplicate keys, turns `"__proto__"` into a prototype
 * hazard for later code, loses integers above 2^53, and cannot cap nesting before recursing. This parser keeps
 * objects as ordered member lists, numbers as their source text, rejects duplicate keys and lone surrogate
 * escapes, and stops at a configurable depth.
 * @module
 * @internal
 */
import { CheckpointFormatError, ResourceLimitError } from '../errors.js';

/** A parsed JSON value with its character position in the header text. @internal */
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
/** A JSON number kept as its exact source text, so large or fractional values can be judged by the caller. @internal */
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

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
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

/**
 * Parses a whole header text. Throws {@link CheckpointFormatError} (`header-json`, `duplicate-key`) or
 * {@link ResourceLimitError} (`maxDepth`) with the character position and the key path.
 * @internal
 */
export function parseHeaderJson(text: string, maxDepth: number): JsonNode {
  let i = 0;
  const path: string[] = [];

  const where = (): string => (path.length > 0 ? ` (inside ${path.map((k) => JSON.stringify(k)).join(' → ')})` : '');
  // Explicitly typed so that control-flow analysis treats calls as never returning.
  const fail: (what: string, at?: number) => never = (what, at = i) => {
    throw new CheckpointFormatError(
      `safetensors header is not valid JSON at character ${at}${where()}: ${what}`,
      'header-json',
      path[0],
    );
  };
  const ws = (): void => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else return;
    }
  };
  const hex4 = (at: number): number => {
    const h = text.slice(at, at + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('\\u must be followed by 4 hex digits', at);
    return parseInt(h, 16);
  };

  const str = (): string => {
    const open = i;
    i++; // opening quote
    let out = '';
    let start = i;
    for (;;) {
      if (i >= text.length) fail('unterminated string', open);
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (c < 0x20) fail(`control character U+${c.toString(16).padStart(4, '0')} must be escaped inside a string`);
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(start, i);
      const e = text[i + 1] ?? '';
      if (e !== 'u') {
        const s = SIMPLE_ESCAPES[e];
        if (s === undefined) fail(`invalid escape "\\${e}"`);
        out += s;
        i += 2;
      } else {
        const u = hex4(i + 2);
        i += 6;
        if (u >= 0xdc00 && u <= 0xdfff) fail('lone low surrogate in a \\u escape', i - 6);
        if (u >= 0xd800 && u <= 0xdbff) {
          // serde_json (and so the official reader) rejects strings that are not valid Unicode.
          if (text[i] !== '\\' || text[i + 1] !== 'u') fail('lone high surrogate in a \\u escape', i - 6);
          const lo = hex4(i + 2);
          if (lo < 0xdc00 || lo > 0xdfff) fail('high surrogate not followed by a low surrogate', i);
          out += String.fromCharCode(u, lo);
          i += 6;
        } else {
          out += String.fromCharCode(u);
        }
      }
      start = i;
    }
  };

  const value = (depth: number): JsonNode => {
    const pos = i;
    const c = text[i];
    if (c === '{' || c === '[') {
      if (depth >= maxDepth) {
        throw new ResourceLimitError(
          `safetensors header nests deeper than maxDepth = ${maxDepth} at character ${pos}${where()}`,
          'maxDepth',
        );
      }
      return c === '{' ? object(depth + 1) : array(depth + 1);
    }
    if (c === '"') return { kind: 'string', pos, value: str() };
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (m === null) return fail('malformed number');
      i += m[0].length;
      return { kind: 'number', pos, raw: m[0] };
    }
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return { kind: 'literal', pos, value: v };
      }
    }
    return fail(c === undefined ? 'unexpected end of header' : `unexpected character ${JSON.stringify(c)}`);
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
      if (text[i] !== '"') fail('expected a string key');
      const keyPos = i;
      const key = str();
      if (seen.has(key)) {
        throw new CheckpointFormatError(
          `safetensors header has the key ${JSON.stringify(key)} twice at character ${keyPos}${where()}; ` +
            'each key must appear once (JSON.parse would silently keep the last one)',
          'duplicate-key',
          path[0] ?? key,
        );
      }
      seen.add(key);
      ws();
      if (text[i] !== ':') fail('expected ":" after a key');
      i++;
      ws();
      path.push(key);
      const v = value(depth);
      path.pop();
      members.push([key, v]);
      ws();
      if (text[i] === ',') {
        i++;
        ws();
        continue;
      }
      if (text[i] === '}') {
        i++;
        return { kind: 'object', pos, members };
      }
      fail('expected "," or "}" after an object member');
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
      items.push(value(depth));
      ws();
      if (text[i] === ',') {
        i++;
        ws();
        continue;
      }
      if (text[i] === ']') {
        i++;
        return { kind: 'array', pos, items };
      }
      fail('expected "," or "]" after an array item');
    }
  };

  ws();
  const root = value(0);
  ws();
  if (i !== text.length) fail('unexpected text after the JSON value (only whitespace may pad the header)');
  return root;
}
