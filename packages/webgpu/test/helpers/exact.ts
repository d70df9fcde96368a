/**
 * Bit-exact checks where the driver allows them: SwiftShader does not fuse multiply-adds, so every kernel that sums
 * in the reference's order must reproduce its bits. Other drivers may fuse (WGSL allows it); there the contract's
 * tolerance applies.
 */
import { compareTensors, type HostTensor, type Tolerance } from '@vblora/core';
import { expect } from 'vitest';

/** True on drivers known not to fuse multiply-adds. */
export function bitExact(adapterName: string): boolean {
  return /swiftshader/i.test(adapterName);
}

/** Same bits when `exact`, else within `tol` (the kernel contract's accuracy for this output). */
export function expectMatch(
  actual: HostTensor,
  expected: HostTensor,
  exact: boolean,
  tol: Tolerance,
  label: string,
): void {
  if (exact) {
    expect(actual.dtype, label).toBe(expected.dtype);
    expect(Array.from(actual.data as ArrayLike<number>), label).toEqual(Array.from(expected.data as ArrayLike<number>));
    return;
  }
  const r = compareTensors(actual, expected, tol);
  expect(r.ok, `${label}: ${JSON.stringify(r.worst)}`).toBe(true);
}
