/**
 * The public shapes of `AdapterStore`: its options, the lease an `acquire` returns, and its counters.
 * @module
 */
import type { Backend } from '@vblora/core';
import type { HotSwapInjectionInfo } from '../inject/injection-info.js';
import type { PreparedAdapter } from '../runtime/prepared-adapter.js';

/** Options of `new AdapterStore(info, options)`. */
export interface AdapterStoreOptions {
  /**
   * Budget in bytes of the adapters kept in top-k form (banks, indices, weights, extra tensors): `add` refuses an
   * adapter that would exceed it with a `ResourceLimitError` (stored adapters are a catalogue, never evicted).
   */
  readonly maxStoredBytes: number;
  /**
   * Budget in bytes of the composed factors kept ready to run (an LRU): a miss evicts the least recently used
   * entries that no lease pins; when only pinned entries are left, `acquire` throws a `ResourceLimitError`.
   */
  readonly maxComposedBytes: number;
  /** Backend that composes (default: core's reference backend; servers pass a fast one such as the cpu backend). */
  readonly backend?: Backend;
  /**
   * Called after each compose with the adapter id and the seconds it took (e.g. for a latency histogram). A store
   * composes one adapter at a time, so this is the compose's own time, not time spent waiting for others.
   */
  readonly onCompose?: (id: string, seconds: number) => void;
}

/**
 * Composed adapters pinned for one batch: returned by `AdapterStore.acquire`, passed to `AdapterSession.run`
 * (`{ lease }`) or to a transformers.js controller, and released once the batch is done. Until `release()`, none of
 * its adapters is evicted or overwritten, even if removed from the store meanwhile.
 */
export interface AdapterLease {
  /** The injected model's description the adapters were composed for (the store's). */
  readonly info: HotSwapInjectionInfo;
  /** The rows the lease was acquired for: an adapter id (or null, the base model) per batch row. */
  readonly rows: readonly (string | null)[];
  /** The distinct adapter ids of `rows`, in order of first appearance. */
  readonly ids: readonly string[];
  /** True once {@link AdapterLease.release} was called; a released lease cannot be run. */
  readonly released: boolean;
  /**
   * The composed adapter of an id of this lease, ready to feed (the same object for the lease's lifetime).
   * @throws {AdapterError} for an id the lease does not hold, or after `release()`.
   */
  prepared(id: string): PreparedAdapter;
  /** Unpins the lease's adapters (they stay composed, as least recently used last, until evicted); idempotent. */
  release(): void;
}

/** Counters and sizes of an `AdapterStore` (`store.stats()`). */
export interface AdapterStoreStats {
  /** Ids found composed (or being composed by another acquire) when acquired. */
  readonly hits: number;
  /** Ids that had to be composed when acquired. */
  readonly misses: number;
  /** Composed entries dropped to make room. */
  readonly evictions: number;
  /** Composes finished. */
  readonly composes: number;
  /** Total seconds spent composing (the sum of what `onCompose` is given). */
  readonly composeSeconds: number;
  /** Adapters in the catalogue, and their bytes in top-k form. */
  readonly storedCount: number;
  readonly storedBytes: number;
  /** Composed entries (ready or being composed), and the bytes of their buffers. */
  readonly composedCount: number;
  readonly composedBytes: number;
  /** Composed entries that at least one lease pins. */
  readonly pinnedCount: number;
}
