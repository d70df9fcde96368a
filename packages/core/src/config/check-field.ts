/**
 * One checker per field kind of the field table: type and range checks with messages that name the field, show
 * the value and say what is valid (PEFT's own text where PEFT has one).
 * @module
 */
import { ConfigError } from '../errors.js';
import type { FieldKind } from './field-spec.js';
import { childPath } from './json-text.js';
import { biasNotImplementedMessage, invalidTaskTypeMessage, nonPositiveMessage } from './peft-messages.js';
import { pyNumberRepr } from './py-repr.js';
import { recordedPyFloat } from './py-number-kinds.js';
import type { JsonValue } from './types.js';

/** Short description of a value for messages: Python-style numbers, quoted (truncated) strings, kinds of containers. */
export function describeValue(v: JsonValue | undefined, isFloat = false): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return isFloat ? `${pyNumberRepr(v, true)} (a float)` : pyNumberRepr(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}...` : v);
  return Array.isArray(v) ? `a list of ${v.length}` : 'an object';
}

function invalid(field: string, expected: string, v: JsonValue, isFloat = false): never {
  throw new ConfigError(`${field} must be ${expected}, got ${describeValue(v, isFloat)}`, field);
}

function checkInt(field: string, v: JsonValue, isFloat: boolean, min: number): number {
  const what = min === 1 ? 'a positive integer' : `an integer >= ${min}`;
  if (typeof v !== 'number' || isFloat || !Number.isSafeInteger(v)) return invalid(field, what, v, isFloat);
  if (v < min) {
    if (field === 'r' || field === 'topk') throw new ConfigError(nonPositiveMessage(field, v), field);
    return invalid(field, what, v);
  }
  return v;
}

function checkFloat(field: string, v: JsonValue, min: number, max: number | undefined): number {
  const what = max === undefined ? `a finite number >= ${min}` : `a number from ${min} to ${max}`;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (max !== undefined && v > max)) {
    return invalid(field, what, v, typeof v === 'number' && !Number.isSafeInteger(v));
  }
  return v;
}

function checkNames(field: string, v: JsonValue, allowString: boolean): JsonValue {
  const what = allowString ? 'a list of strings, a string (regex) or null' : 'a list of strings or null';
  if (v === null || (allowString && typeof v === 'string')) return v;
  if (!Array.isArray(v)) return invalid(field, what, v);
  v.forEach((item, i) => {
    if (typeof item !== 'string') invalid(childPath(field, i), 'a string (module name)', item);
  });
  return v;
}

function checkLayerIndices(field: string, v: JsonValue, isFloat: boolean): JsonValue {
  const what = 'an integer, a list of integers or null';
  if (v === null) return v;
  if (typeof v === 'number') return checkInt(field, v, isFloat, Number.MIN_SAFE_INTEGER);
  if (!Array.isArray(v)) return invalid(field, what, v);
  v.forEach((item, i) => {
    const path = childPath(field, i);
    const itemIsFloat = recordedPyFloat(v, i) === true;
    if (typeof item !== 'number' || itemIsFloat || !Number.isSafeInteger(item)) {
      invalid(path, 'an integer (layer index)', item, itemIsFloat);
    }
  });
  return v;
}

/**
 * Checks `value` against the field kind and returns it (inputs are already fresh copies, so nothing is copied).
 * `isFloat` says whether the source text wrote the number as a float (`4.0`), which an int field rejects.
 * @internal
 */
export function checkField(field: string, kind: FieldKind, value: JsonValue, isFloat: boolean): JsonValue {
  switch (kind.kind) {
    case 'int':
      return checkInt(field, value, isFloat, kind.min);
    case 'float':
      return checkFloat(field, value, kind.min, kind.max);
    case 'bool':
      return typeof value === 'boolean' ? value : invalid(field, 'true or false', value, isFloat);
    case 'string-or-null':
      return value === null || typeof value === 'string' ? value : invalid(field, 'a string or null', value, isFloat);
    case 'enum':
      if ((kind.nullable && value === null) || (typeof value === 'string' && kind.values.includes(value))) return value;
      if (field === 'task_type') throw new ConfigError(invalidTaskTypeMessage(value), field);
      return invalid(field, kind.values.map((s) => JSON.stringify(s)).join(' or '), value, isFloat);
    case 'bias':
      if (typeof value !== 'string') return invalid(field, '"none", "all" or a string ending in "_only"', value);
      if (value === 'none' || value === 'all' || value.endsWith('_only')) return value;
      throw new ConfigError(
        `${biasNotImplementedMessage(value)} (bias must be "none", "all" or end in "_only", e.g. "vblora_only")`,
        field,
      );
    case 'names':
      return checkNames(field, value, kind.allowString);
    case 'layer-indices':
      return checkLayerIndices(field, value, isFloat);
    case 'object-or-null':
      if (value === null || (typeof value === 'object' && !Array.isArray(value))) return value;
      return invalid(field, 'an object or null', value, isFloat);
  }
}
