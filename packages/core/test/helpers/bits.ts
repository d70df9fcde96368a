import { expect } from 'vitest';
import type { HostTensor } from '../../src/index.js';

// Bit comparison for the CPU backend's tests: every output bit, a NaN only as NaN.

/** The CPU kernels are synchronous: a promise would be a defect. */
export function sync<T>(v: T | Promise<T>): T {
  if (v instanceof Promise) throw new Error('a CPU kernel returned a promise');
  return v;
}
/** NaN of any sign and payload as one value (see cpu-property.test.ts: invalid operations give the CPU's NaN). */
export function canonical(t: HostTensor): ArrayLike<number> {
  if (t.data instanceof Float32Array)
    return Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length), (b) =>
      (b & 0x7fffffff) > 0x7f800000 ? 0x7fc00000 : b,
    );
  if (t.dtype === 'bf16') return Array.from(t.data as Uint16Array, (h) => ((h & 0x7fff) > 0x7f80 ? 0x7fc0 : h));
  if (t.dtype === 'f16') return Array.from(t.data as Uint16Array, (h) => ((h & 0x7fff) > 0x7c00 ? 0x7e00 : h));
  return t.data as ArrayLike<number>;
}

export function sameBits(a: HostTensor, b: HostTensor): void {
  expect(a.dtype).toBe(b.dtype);
  expect(a.shape).toEqual(b.shape);
  const x = canonical(a);
  const y = canonical(b);
  let diff = -1;
  for (let i = 0; i < x.length && diff < 0; i++) if (x[i] !== y[i]) diff = i;
  expect(diff, `first differing element ${diff}: ${String(a.data[diff])} vs ${String(b.data[diff])}`).toBe(-1);
}
