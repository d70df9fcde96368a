/**
 * Parameter blocks: every kernel lists its u32 parameters once, by name; the WGSL struct and the host's packed
 * `Uint32Array` are both generated from that list, so they cannot drift apart.
 * @internal
 * @module
 */

/** The WGSL declaration `struct Params { a: u32, b: u32, ... }` for a parameter list. */
export function paramsStruct(names: readonly string[]): string {
  return `struct Params { ${names.map((n) => `${n}: u32`).join(', ')} }`;
}

/** Packs named values in the list's order (floats must already be bits). */
export function packParams<N extends string>(names: readonly N[], values: Readonly<Record<N, number>>): Uint32Array {
  const out = new Uint32Array(names.length);
  names.forEach((n, i) => {
    const v = values[n];
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`parameter ${n} = ${v} is not a u32`);
    out[i] = v;
  });
  return out;
}
