/**
 * Turns whatever `parseConfig` was given (JSON text, UTF-8 bytes or an already-parsed object) into a fresh JSON
 * object, enforcing the size caps before any parsing work.
 * @module
 */
import { ConfigError } from '../errors.js';
import { describeValue } from './check-field.js';
import { snapshotJson } from './json-snapshot.js';
import { parseJsonText } from './json-text.js';
import { lengthExceeded, type ConfigLimits } from './limits.js';
import type { JsonObject, JsonValue } from './types.js';

function decodeUtf8(bytes: Uint8Array): string {
  try {
    // ignoreBOM keeps a BOM in the text, so the reader can reject it the way Python's json.load does.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (err) {
    throw new ConfigError('adapter config bytes are not valid UTF-8', undefined, { cause: err });
  }
}

/** Requires a JSON object at the top. @internal */
export function requireObject(value: JsonValue, what: string): JsonObject {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value;
  throw new ConfigError(`${what} must be a JSON object ({...}), got ${describeValue(value)}`);
}

/** Reads JSON text, UTF-8 bytes or a JS object into a fresh JSON object within `limits`. @internal */
export function readConfigInput(input: unknown, limits: Required<ConfigLimits>): JsonObject {
  let value: JsonValue;
  if (typeof input === 'string') {
    if (input.length > limits.maxLength) lengthExceeded(input.length, limits.maxLength, 'UTF-16 code units');
    value = parseJsonText(input, limits);
  } else if (input instanceof Uint8Array) {
    if (input.byteLength > limits.maxLength) lengthExceeded(input.byteLength, limits.maxLength, 'bytes');
    value = parseJsonText(decodeUtf8(input), limits);
  } else {
    value = snapshotJson(input, limits);
  }
  return requireObject(value, 'adapter config');
}
