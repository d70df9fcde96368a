/**
 * Pairs that live in a WebAssembly memory: `allocatePairs` puts an adapter's A and B there, with a scratch region
 * after them, so the CPU kernels can compose into them in place (no copy out of their own memory). This module
 * remembers which buffers are such memories and where their scratch is.
 * @module
 */

/** A WebAssembly memory holding pairs from byte 0 and, from `scratchStart`, `scratchBytes` of kernel scratch. */
export interface PairsMemory {
  readonly memory: WebAssembly.Memory;
  readonly scratchStart: number;
  readonly scratchBytes: number;
}

const HOMES = new WeakMap<ArrayBufferLike, PairsMemory>();

/** Remembers `home` as the memory behind `buffer` (its buffer when the pairs were laid out). */
export function registerPairsMemory(buffer: ArrayBufferLike, home: PairsMemory): void {
  HOMES.set(buffer, home);
}

/** The pairs memory whose buffer is `buffer`, if any. */
export function pairsMemoryOf(buffer: ArrayBufferLike): PairsMemory | undefined {
  return HOMES.get(buffer);
}
