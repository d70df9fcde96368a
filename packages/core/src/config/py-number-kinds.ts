/**
 * Python's `json` keeps `0` (int) and `0.0` (float) apart and writes each back as it read it; a JS number cannot.
 * This side table remembers, per container object or array, which of its keys held a Python float, so that a
 * file re-serialises to its own bytes. Containers without an entry fall back to a rule (see `isPyFloatAt`).
 *
 * A WeakMap keyed by the container (not a hidden property): nothing is added to user-visible objects, frozen
 * objects work, and an entry dies with its object. A spread copy (`{ ...config }`) has no entry and so uses the
 * fallback rule, which is what a freshly created config uses too.
 * @module
 */

const floatKeysByContainer = new WeakMap<object, Set<string>>();

/** Records that `container` carries exact number kinds (its unmarked integral numbers are ints). @internal */
export function trackNumberKinds(container: object): void {
  if (!floatKeysByContainer.has(container)) floatKeysByContainer.set(container, new Set());
}

/** Whether `container` carries exact number-kind information. @internal */
export function hasNumberKinds(container: object): boolean {
  return floatKeysByContainer.has(container);
}

/** Records that `container[key]` was (or must be written as) a Python float. @internal */
export function markPyFloat(container: object, key: string | number): void {
  let keys = floatKeysByContainer.get(container);
  if (keys === undefined) {
    keys = new Set();
    floatKeysByContainer.set(container, keys);
  }
  keys.add(String(key));
}

/**
 * Whether the integral number at `container[key]` is a Python float: `undefined` when `container` carries no
 * number-kind information. @internal
 */
export function recordedPyFloat(container: object, key: string | number): boolean | undefined {
  const keys = floatKeysByContainer.get(container);
  return keys === undefined ? undefined : keys.has(String(key));
}

/** Copies the number-kind information of `from` onto `to` (used when a config is copied). @internal */
export function copyNumberKinds(from: object, to: object): void {
  const keys = floatKeysByContainer.get(from);
  if (keys !== undefined) floatKeysByContainer.set(to, new Set(keys));
}
