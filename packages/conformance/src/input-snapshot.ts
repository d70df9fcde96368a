/**
 * Input immutability: every kernel call gets a private deep copy of the case's arguments, and after the call the
 * copy is compared with the case's own arguments bit for bit, so a kernel that writes into an input is reported
 * by the case that made the call — never by a later case that happened to share the tensor.
 * @module
 */

type TypedArray = Exclude<ArrayBufferView, DataView>;

function isTypedArray(v: unknown): v is TypedArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A deep copy of kernel arguments: typed arrays copied, arrays and plain objects rebuilt, everything else kept. */
export function cloneArgs<T>(value: T): T {
  if (isTypedArray(value)) return (value as unknown as { slice(): T }).slice();
  if (Array.isArray(value)) return value.map((v: unknown) => cloneArgs(v)) as T;
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = cloneArgs(v);
    return out as T;
  }
  return value;
}

function bytes(a: TypedArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function show(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (isTypedArray(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<unknown>).length})`;
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  return typeof v === 'object' && v !== null ? '{…}' : String(v);
}

function typedArrayChange(before: TypedArray, after: TypedArray, path: string): string | undefined {
  if (before.constructor !== after.constructor || before.byteLength !== after.byteLength) {
    return `${path} was replaced: ${show(before)} before, ${show(after)} after`;
  }
  const b = bytes(before);
  const a = bytes(after);
  for (let i = 0; i < b.length; i++) {
    if (b[i] !== a[i]) {
      const size = (before as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
      const e = Math.floor(i / size);
      const was = (before as unknown as ArrayLike<unknown>)[e];
      const now = (after as unknown as ArrayLike<unknown>)[e];
      return `${path}[${e}] was ${show(was)}, is now ${show(now)}`;
    }
  }
  return undefined;
}

/**
 * The first difference between an argument snapshot and the arguments after a call, as `path: what changed`, or
 * undefined when they are identical (typed arrays compared byte for byte: −0 vs +0 and NaN payloads count).
 * `skip` exempts paths the contract lets a kernel write (composeLowRank's `out`).
 */
export function firstChange(
  before: unknown,
  after: unknown,
  path: string,
  skip: (path: string) => boolean = () => false,
): string | undefined {
  if (skip(path)) return undefined;
  if (isTypedArray(before)) {
    return isTypedArray(after) ? typedArrayChange(before, after, path) : `${path} was replaced by ${show(after)}`;
  }
  if (Array.isArray(before)) {
    if (!Array.isArray(after) || after.length !== before.length)
      return `${path} changed from ${show(before)} to ${show(after)}`;
    for (let i = 0; i < before.length; i++) {
      const c = firstChange(before[i], after[i], `${path}[${i}]`, skip);
      if (c !== undefined) return c;
    }
    return undefined;
  }
  if (isPlainObject(before)) {
    if (!isPlainObject(after)) return `${path} was replaced by ${show(after)}`;
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const sub = path === '' ? key : `${path}.${key}`;
      if (!(key in after)) return skip(sub) ? undefined : `${sub} was deleted`;
      if (!(key in before)) return skip(sub) ? undefined : `${sub} was added`;
      const c = firstChange(before[key], after[key], sub, skip);
      if (c !== undefined) return c;
    }
    return undefined;
  }
  return Object.is(before, after) ? undefined : `${path} changed from ${show(before)} to ${show(after)}`;
}
