import { CheckpointFormatError, ResourceLimitError, VBLoRAError } from '@vblora/core';

/**
 * The outcome name of a typed error (`CheckpointFormatError:topk-index-range`, `ResourceLimitError:maxDepth`,
 * `ConfigError`); anything that is not a vblora.js error is re-thrown, which is exactly what the fuzzers hunt.
 */
export function typedOutcome(err: unknown): string {
  if (err instanceof CheckpointFormatError) return `${err.name}:${err.rule}`;
  if (err instanceof ResourceLimitError) return `${err.name}:${err.limit}`;
  if (err instanceof VBLoRAError) return err.name;
  throw err;
}

/** Runs `fn`, returning `ok` or the typed outcome, and how long it took (a hang shows up as a slow input). */
export function timed<T>(fn: () => T): { value: T | undefined; outcome: string; ms: number } {
  const t0 = performance.now();
  try {
    const value = fn();
    return { value, outcome: 'ok', ms: performance.now() - t0 };
  } catch (err) {
    return { value: undefined, outcome: typedOutcome(err), ms: performance.now() - t0 };
  }
}

/** Object.prototype (and Array/Function prototypes) still have no enumerable or injected keys. */
export function prototypesAreClean(): boolean {
  const probes = [Object.prototype, Array.prototype, Function.prototype];
  const known = ['polluted', 'isAdmin', 'dtype', 'shape', 'data_offsets', 'format', 'r', 'x', 'k'];
  return (
    probes.every((p) => Object.keys(p).length === 0 && known.every((k) => !Object.hasOwn(p, k))) &&
    Object.getPrototypeOf({}) === Object.prototype
  );
}
