/**
 * Counts calls of the reference kernels, so the conformance kit can prove that a backend computed a result
 * itself: if the reference kernel of the same name ran while a backend's kernel was answering, the backend
 * delegated to the reference (a silent fallback) and the case fails. Plain module state, no globals patched.
 * @module
 */
import type { KernelName } from './kernel-set.js';

const calls = new Map<KernelName, number>();

/** Counts one call of the reference kernel `name`. @internal */
export function countReferenceCall(name: KernelName): void {
  calls.set(name, (calls.get(name) ?? 0) + 1);
}

/** How many times the reference kernel `name` has run in this process (for the conformance kit's proof of work). */
export function referenceKernelCalls(name: KernelName): number {
  return calls.get(name) ?? 0;
}
