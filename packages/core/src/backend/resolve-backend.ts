/**
 * `resolveBackend` picks the first usable backend of an ordered list; `requireKernel` fetches a kernel or says
 * clearly that the backend lacks it.
 * @module
 */
import { BackendUnavailableError, UnsupportedError, type BackendAttempt } from '../errors.js';
import { KERNEL_NAMES, type KernelName, type KernelSet } from '../kernels/kernel-set.js';
import type { Backend } from './define-backend.js';

function reasonOf(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/**
 * Returns the first candidate whose `isAvailable()` resolves to `true` and whose `init()` (if any) succeeds,
 * trying them in order, one at a time.
 * @throws {BackendUnavailableError} listing every attempt and its reason when none can be used (or the list is empty).
 * @example
 * ```ts
 * const backend = await resolveBackend([webgpuBackend, tfjsBackend, referenceBackend]);
 * ```
 */
export async function resolveBackend(candidates: readonly Backend[]): Promise<Backend> {
  const attempts: BackendAttempt[] = [];
  for (const backend of candidates) {
    let available: unknown;
    try {
      available = await backend.isAvailable();
    } catch (e) {
      attempts.push({ backend: backend.name, reason: `isAvailable() threw ${reasonOf(e)}` });
      continue;
    }
    if (available !== true) {
      attempts.push({ backend: backend.name, reason: `isAvailable() returned ${String(available)}` });
      continue;
    }
    try {
      await backend.init?.();
    } catch (e) {
      attempts.push({ backend: backend.name, reason: `init() failed: ${reasonOf(e)}` });
      continue;
    }
    return backend;
  }
  const tried = attempts.map((a) => `  - ${a.backend}: ${a.reason}`).join('\n');
  const message =
    candidates.length === 0
      ? 'no backend available: the candidate list is empty (pass e.g. [referenceBackend])'
      : `no backend available; tried ${attempts.length}:\n${tried}`;
  throw new BackendUnavailableError(message, attempts);
}

/**
 * Returns the backend's implementation of a kernel.
 * @throws {UnsupportedError} naming the backend and the kernel (and what it does implement) when it is absent.
 */
export function requireKernel<K extends KernelName>(backend: Backend, name: K): KernelSet[K] {
  const fn = backend.kernels[name];
  if (fn === undefined) {
    const has = KERNEL_NAMES.filter((k) => backend.kernels[k] !== undefined);
    throw new UnsupportedError(
      `backend "${backend.name}" does not implement kernel "${name}"; it implements: ${
        has.length > 0 ? has.join(', ') : '(none)'
      }`,
    );
  }
  return fn as KernelSet[K];
}
