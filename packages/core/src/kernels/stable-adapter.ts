/**
 * Adapters a caller promises not to change: `stableAdapter({ A, B })` marks a new wrapper of the pair, and a
 * backend may keep what it derives from A and B (the CPU backend: both transposed in its WebAssembly memory) for
 * as long as the wrapper is passed again — the per-call preparation of a mixed batch is then done once per
 * adapter instead of once per batch. Changing A or B in place afterwards is not seen through that wrapper: make a
 * new one.
 * @module
 */
import type { LowRankAdapter } from './mixed-batch-forward.js';

const STABLE = new WeakSet<LowRankAdapter>();

/**
 * A wrapper of `adapter` (same tensors) that backends may treat as unchanging while it is used.
 *
 * @example
 * ```ts
 * const adapters = users.map((u) => stableAdapter(composed.get(u)!)); // once per adapter
 * const y = await backend.kernels.mixedBatchForward!({ x, baseOut, adapters, rowAdapter }); // per batch
 * ```
 */
export function stableAdapter(adapter: LowRankAdapter): LowRankAdapter {
  const wrapper: LowRankAdapter = Object.freeze({ A: adapter.A, B: adapter.B });
  STABLE.add(wrapper);
  return wrapper;
}

/** True for a wrapper made by {@link stableAdapter}. */
export function isStableAdapter(adapter: LowRankAdapter): boolean {
  return STABLE.has(adapter);
}
