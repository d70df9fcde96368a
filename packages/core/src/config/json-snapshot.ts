/**
 * Copies a caller's JS value into fresh JSON values, checking on the way that it is JSON-shaped (plain objects,
 * dense arrays, strings, numbers, booleans, null) and within the nesting and value caps. The copy keeps the
 * int/float side-table entries of the original (so a parsed config passed back in keeps its `0` vs `0.0`).
 *
 * Working on a copy means a validated config never aliases the caller's arrays, getters and proxies run at most
 * once, and a cycle is caught by the depth cap instead of recursing forever.
 * @module
 */
import { ConfigError, VBLoRAError } from '../errors.js';
import { childPath, setOwn } from './json-text.js';
import { depthExceeded, valuesExceeded, type ConfigLimits } from './limits.js';
import { copyNumberKinds } from './py-number-kinds.js';
import type { JsonObject, JsonValue } from './types.js';

function kindOf(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'bigint') return `a bigint (${String(v)}n; use a number)`;
  if (typeof v === 'symbol') return 'a symbol';
  if (typeof v === 'object' && v !== null) {
    const name = (Object.getPrototypeOf(v) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    return `an object of class ${typeof name === 'string' ? name : '(unknown)'}`;
  }
  return typeof v;
}

function isPlainObject(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

class Snapshot {
  private values = 0;

  constructor(private readonly limits: Required<ConfigLimits>) {}

  copy(v: unknown, depth: number, path: string): JsonValue {
    if (++this.values > this.limits.maxValues) valuesExceeded(this.limits.maxValues);
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
    if (typeof v !== 'object') {
      throw new ConfigError(`${path || 'config'} is ${kindOf(v)}, which JSON cannot hold`, path || undefined);
    }
    if (depth > this.limits.maxDepth) depthExceeded(this.limits.maxDepth, path || 'top level');
    if (Array.isArray(v)) return this.copyArray(v, depth, path);
    if (!isPlainObject(v)) {
      throw new ConfigError(
        `${path || 'config'} is ${kindOf(v)}; ` +
          'only plain objects, arrays, strings, numbers, booleans and null are valid',
        path || undefined,
      );
    }
    const out: JsonObject = {};
    copyNumberKinds(v, out);
    for (const key of Object.keys(v)) {
      const keyPath = childPath(path, key);
      const desc = Object.getOwnPropertyDescriptor(v, key);
      if (desc === undefined) continue;
      if (!('value' in desc)) {
        throw new ConfigError(`${keyPath} is an accessor (getter/setter); pass plain data`, keyPath);
      }
      setOwn(out, key, this.copy(desc.value, depth + 1, keyPath));
    }
    return out;
  }

  private copyArray(v: readonly unknown[], depth: number, path: string): JsonValue[] {
    const out: JsonValue[] = [];
    copyNumberKinds(v, out);
    const n = v.length;
    if (n > this.limits.maxValues) valuesExceeded(this.limits.maxValues);
    for (let i = 0; i < n; i++) {
      const itemPath = childPath(path, i);
      const desc = Object.getOwnPropertyDescriptor(v, i);
      if (desc === undefined) throw new ConfigError(`${itemPath} is a hole in a sparse array`, itemPath);
      if (!('value' in desc)) throw new ConfigError(`${itemPath} is an accessor (getter/setter)`, itemPath);
      out.push(this.copy(desc.value, depth + 1, itemPath));
    }
    return out;
  }
}

/**
 * Deep-copies `value` into fresh JSON values within `limits`; throws `ConfigError` for anything JSON cannot hold and
 * `ResourceLimitError` past the caps. Errors thrown by exotic inputs (proxies) become `ConfigError`. @internal
 */
export function snapshotJson(value: unknown, limits: Required<ConfigLimits>): JsonValue {
  try {
    return new Snapshot(limits).copy(value, 1, '');
  } catch (err) {
    if (err instanceof VBLoRAError) throw err;
    let text = 'unknown error';
    try {
      text = String(err);
    } catch {
      // An error whose toString throws still must not escape as a non-VBLoRA error.
    }
    throw new ConfigError(`could not read the config object: ${text}`, undefined, { cause: err });
  }
}
