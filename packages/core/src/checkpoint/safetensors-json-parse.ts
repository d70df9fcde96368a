/**
 * Safetensors headers read by core's one strict JSON reader (`json/strict-json.ts`), as strict as serde_json:
 * RFC 8259 only, duplicate keys and lone surrogate escapes rejected, nesting capped. This file only words the
 * reader's problems as {@link CheckpointFormatError}s and {@link ResourceLimitError}s.
 * @module
 * @internal
 */
import { CheckpointFormatError, ResourceLimitError } from '../errors.js';
import { readStrictJson, type JsonNode, type JsonProblem } from '../json/strict-json.js';

export type { JsonArray, JsonLiteral, JsonNode, JsonNumber, JsonObject, JsonString } from '../json/strict-json.js';

/** The reader's syntax problems (the others have errors of their own below). */
type SyntaxCode = Exclude<JsonProblem['code'], 'depth' | 'values' | 'duplicate-key'>;

/** What each syntax problem of the reader is called in a header error. */
const WHAT: Readonly<Record<SyntaxCode, (text: string, p: JsonProblem) => string>> = {
  bom: (text) => `unexpected character ${JSON.stringify(text[0])}`,
  value: (text, p) =>
    text[p.at] === undefined ? 'unexpected end of header' : `unexpected character ${JSON.stringify(text[p.at])}`,
  trailing: () => 'unexpected text after the JSON value (only whitespace may pad the header)',
  'number-digit': () => 'malformed number',
  'number-fraction': () => 'malformed number',
  'number-exponent': () => 'malformed number',
  'unterminated-string': () => 'unterminated string',
  'control-character': (text, p) =>
    `control character U+${text.charCodeAt(p.at).toString(16).padStart(4, '0')} must be escaped inside a string`,
  escape: (text, p) => `invalid escape "\\${text[p.at + 1] ?? ''}"`,
  'hex-escape': () => '\\u must be followed by 4 hex digits',
  'lone-low-surrogate': () => 'lone low surrogate in a \\u escape',
  'lone-high-surrogate': () => 'lone high surrogate in a \\u escape',
  'unpaired-high-surrogate': () => 'high surrogate not followed by a low surrogate',
  key: () => 'expected a string key',
  colon: () => 'expected ":" after a key',
  'object-separator': () => 'expected "," or "}" after an object member',
  'array-separator': () => 'expected "," or "]" after an array item',
};

/** Where (error positions): numbers and strings are reported at their start, as serde_json does. */
const AT_START: ReadonlySet<SyntaxCode> = new Set([
  'number-digit',
  'number-fraction',
  'number-exponent',
  'unterminated-string',
]);

/**
 * Parses a whole header text. Throws {@link CheckpointFormatError} (`header-json`, `duplicate-key`) or
 * {@link ResourceLimitError} (`maxDepth`) with the character position and the key path.
 * @internal
 */
export function parseHeaderJson(text: string, maxDepth: number): JsonNode {
  return readStrictJson(text, {
    maxDepth,
    rejectLoneSurrogates: true,
    fail: (p) => {
      const keys = p.path.filter((k): k is string => typeof k === 'string');
      const where = keys.length > 0 ? ` (inside ${keys.map((k) => JSON.stringify(k)).join(' → ')})` : '';
      // no maxValues is set, so 'values' never comes; depth is the one resource limit
      if (p.code === 'depth' || p.code === 'values') {
        throw new ResourceLimitError(
          `safetensors header nests deeper than maxDepth = ${maxDepth} at character ${p.at}${where}`,
          'maxDepth',
        );
      }
      if (p.code === 'duplicate-key') {
        throw new CheckpointFormatError(
          `safetensors header has the key ${JSON.stringify(p.key)} twice at character ${p.at}${where}; ` +
            'each key must appear once (JSON.parse would silently keep the last one)',
          'duplicate-key',
          keys[0] ?? p.key,
        );
      }
      const at = AT_START.has(p.code) ? p.start : p.at;
      throw new CheckpointFormatError(
        `safetensors header is not valid JSON at character ${at}${where}: ${WHAT[p.code](text, p)}`,
        'header-json',
        keys[0],
      );
    },
  });
}
