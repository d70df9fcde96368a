/**
 * One adapter's composed factors in an `AdapterStore`: ready (or being composed), pinned by leases, and the
 * buffers it owns.
 * @module
 */
import type { LowRankPair } from '@vblora/core';
import type { PreparedAdapter } from '../runtime/prepared-adapter.js';

/** @internal */
export interface ComposedEntry {
  readonly id: string;
  /** `layoutKey` of the adapter (`lowrank` models: entries of one key can hand their pairs on). */
  readonly layout: string;
  /** The pairs composed into (`lowrank`), reused by a later entry of the same layout once this one is evicted. */
  pairs: Map<string, LowRankPair> | null;
  /** Bytes charged to the composed budget. */
  bytes: number;
  /** Set once composed. */
  prepared: PreparedAdapter | null;
  /** Settles when composed (shared by concurrent acquires of the id). */
  ready: Promise<PreparedAdapter>;
  /** Leases holding the entry: never evicted while > 0. */
  pins: number;
  /** Out of the LRU (removed, replaced or failed): its bytes are freed when the last lease lets go. */
  detached: boolean;
}
