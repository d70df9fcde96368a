/**
 * `AdapterStore`: thousands of VB-LoRA adapters held in top-k form within a byte budget, composed on demand into
 * an LRU of composed factors whose buffers are reused, and leased per batch so that eviction never takes factors
 * a batch is running with.
 * @module
 */
import {
  AdapterError,
  allocatePairs,
  ConfigError,
  ResourceLimitError,
  UnsupportedError,
  type Backend,
  type LowRankPair,
  type VBLoRAAdapter,
} from '@vblora/core';
import { isHotSwap, type HotSwapInjectionInfo } from '../inject/injection-info.js';
import { checkAdapterFits, prepareAdapter, type PreparedAdapter } from '../runtime/prepared-adapter.js';
import { StoreLease } from './adapter-lease.js';
import type { ComposedEntry } from './composed-entry.js';
import { composedBytes, layoutKey } from './composed-layout.js';
import { adapterBytes, storedForm } from './stored-form.js';
import type { AdapterLease, AdapterStoreOptions, AdapterStoreStats } from './store-types.js';

interface StoredAdapter {
  readonly adapter: VBLoRAAdapter;
  readonly bytes: number;
  /** `layoutKey` (`lowrank` models, else '') and composed bytes, worked out once here rather than per compose. */
  readonly layout: string;
  readonly composedBytes: number;
}

/** `{ backend }`, not as a literal: `allocatePairs` takes a backend once core's pairs-storage option lands. */
const withBackend = (backend: Backend): { backend: Backend } => ({ backend });

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function budgetOf(options: AdapterStoreOptions | undefined, field: 'maxStoredBytes' | 'maxComposedBytes'): number {
  const v: unknown = options?.[field];
  if (typeof v !== 'number' || !(v >= 0) || v === Infinity) {
    throw new ConfigError(`AdapterStore: ${field} must be a finite number of bytes ≥ 0, got ${String(v)}`, field);
  }
  return v;
}

/** The byte length of the buffer behind a set of pairs (all views of one buffer when from `allocatePairs`). */
function pairsBufferBytes(pairs: ReadonlyMap<string, LowRankPair>): number {
  const buffers = new Set<ArrayBufferLike>();
  for (const { A, B } of pairs.values()) buffers.add(A.data.buffer).add(B.data.buffer);
  let n = 0;
  for (const b of buffers) n += b.byteLength;
  return n;
}

/**
 * Many adapters for one injected model (`lowrank` or `topk` variant), kept in top-k form and composed when a batch
 * needs them.
 *
 * Composed factors live in an LRU bounded by `maxComposedBytes`. For a `lowrank` model an entry's A/B are views of
 * one buffer from core's `allocatePairs`, composed into with `composeAdapter`'s `into` (the cpu backend writes in
 * place, no copy); when an entry is evicted to make room for an adapter of the same layout (same modules and
 * shapes: every adapter trained with one config for one model), the new adapter is composed into the evicted
 * entry's arrays instead of new ones, so a store at its budget composes without allocating.
 *
 * @example
 * ```ts
 * const store = new AdapterStore(session.info, { maxStoredBytes: 2 ** 30, maxComposedBytes: 2 ** 30, backend });
 * store.add('user-1', adapter1);
 * store.add('user-2', adapter2);
 * const lease = await store.acquire(['user-1', 'user-2', null]); // one id per batch row
 * try {
 *   const out = await session.run(feeds, { lease });
 * } finally {
 *   lease.release();
 * }
 * ```
 */
export class AdapterStore {
  /** The injected model's description every adapter is composed for. */
  readonly info: HotSwapInjectionInfo;
  private readonly maxStored: number;
  private readonly maxComposed: number;
  private readonly backend: Backend | undefined;
  private readonly onCompose: ((id: string, seconds: number) => void) | undefined;
  /** `allocatePairs` options: the backend's own pairs storage where it offers one (composed in place). */
  private readonly pairsOptions: Parameters<typeof allocatePairs>[1];
  private readonly stored = new Map<string, StoredAdapter>();
  /** Composed entries by id, least recently used first. */
  private readonly lru = new Map<string, ComposedEntry>();
  /** Detached entries still pinned by leases (removed or replaced while in use). */
  private readonly detached = new Set<ComposedEntry>();
  private storedTotal = 0;
  private composedTotal = 0;
  /** Entries with pins > 0 (in the LRU or detached): kept as a count so that `stats()` walks nothing. */
  private pinnedEntries = 0;
  private counts = { hits: 0, misses: 0, evictions: 0, composes: 0, composeSeconds: 0 };
  /** Settles when the last compose started has settled: composes run one at a time, in the order they are asked. */
  private composing: Promise<void> = Promise.resolve();

  /**
   * @throws {UnsupportedError} for a `static` model description (its adapter is built in).
   * @throws {ConfigError} for a budget that is not a finite number ≥ 0.
   */
  constructor(info: HotSwapInjectionInfo, options: AdapterStoreOptions) {
    if (!isHotSwap(info)) {
      throw new UnsupportedError(
        'AdapterStore needs a hot-swap model (lowrank or topk variant): a static one has its adapter built in',
      );
    }
    this.info = info;
    this.maxStored = budgetOf(options, 'maxStoredBytes');
    this.maxComposed = budgetOf(options, 'maxComposedBytes');
    this.backend = options.backend;
    this.onCompose = options.onCompose;
    this.pairsOptions = options.backend === undefined ? {} : withBackend(options.backend);
  }

  /** Ids of the stored adapters, in the order they were added. */
  get ids(): string[] {
    return [...this.stored.keys()];
  }

  /** Number of stored adapters. */
  get size(): number {
    return this.stored.size;
  }

  /** True when an adapter is stored under `id`. */
  has(id: string): boolean {
    return this.stored.has(id);
  }

  /**
   * Stores (or replaces) an adapter under `id`, in top-k form (a logits adapter is converted once, here). A
   * replaced adapter's composed factors are dropped, or, while leases hold them, when the last one is released.
   * @throws {ResourceLimitError} (`limit` = `maxStoredBytes`) when the store's budget cannot hold it; stored
   * adapters are never evicted to make room.
   * @throws {AdapterError} / {ShapeError} when the adapter does not fit the model's branches.
   */
  add(id: string, adapter: VBLoRAAdapter): void {
    if (typeof id !== 'string') throw new AdapterError(`AdapterStore.add: the id must be a string, got ${typeof id}`);
    checkAdapterFits(this.info, id, adapter);
    // a logits adapter's top-k form is a fraction of the logits the caller already holds: converted, then counted
    const form = storedForm(adapter);
    const bytes = adapterBytes(form);
    const old = this.stored.get(id);
    const after = this.storedTotal - (old?.bytes ?? 0) + bytes;
    if (after > this.maxStored) {
      throw new ResourceLimitError(
        `AdapterStore: adapter ${JSON.stringify(id)} takes ${mib(bytes)} in top-k form; with the ${mib(this.storedTotal - (old?.bytes ?? 0))} ` +
          `already stored that is over maxStoredBytes (${mib(this.maxStored)}): remove adapters or raise the budget`,
        'maxStoredBytes',
      );
    }
    this.detach(id);
    const layout = this.info.variant === 'lowrank' ? layoutKey(form) : '';
    this.stored.set(id, { adapter: form, bytes, layout, composedBytes: composedBytes(this.info, form) });
    this.storedTotal = after;
  }

  /**
   * Removes an adapter: its id is unknown to later acquires at once; composed factors that leases hold stay valid
   * until the last of them is released, then are freed. Returns false when no adapter had that id.
   */
  remove(id: string): boolean {
    const s = this.stored.get(id);
    if (s === undefined) return false;
    this.stored.delete(id);
    this.storedTotal -= s.bytes;
    this.detach(id);
    return true;
  }

  /**
   * Composes every distinct id of `rows` that is not composed yet (an LRU hit composes nothing; concurrent acquires
   * of one id share its compose) and pins them until the lease is released.
   * @throws {AdapterError} for an id that is not stored (nothing is pinned then).
   * @throws {ResourceLimitError} (`limit` = `maxComposedBytes`) when the composed budget cannot hold the batch's
   * adapters: every entry that could be evicted was, and the rest are pinned by other leases.
   */
  async acquire(rows: readonly (string | null)[]): Promise<AdapterLease> {
    if (!Array.isArray(rows)) throw new AdapterError('AdapterStore.acquire: rows must be an array of ids (or null)');
    const ids = [...new Set(rows.filter((r): r is string => r !== null))];
    for (const id of ids) {
      if (!this.stored.has(id)) {
        throw new AdapterError(
          `AdapterStore: no adapter ${JSON.stringify(id)} is stored (${this.stored.size} stored${this.stored.size > 0 ? `, e.g. ${[...this.stored.keys()].slice(0, 3).join(', ')}` : ''})`,
        );
      }
    }
    const held = new Map<string, ComposedEntry>();
    try {
      for (const id of ids) held.set(id, this.pin(id));
      for (const e of held.values()) await e.ready;
    } catch (err) {
      // composes this acquire started run on; once they settle their entries are evictable like any other
      await Promise.allSettled([...held.values()].map((e) => e.ready));
      this.unpin(held.values());
      throw err;
    }
    return new StoreLease(this.info, rows, held, (entries) => this.unpin(entries));
  }

  /** Counters and sizes, for metrics. */
  stats(): AdapterStoreStats {
    return {
      ...this.counts,
      storedCount: this.stored.size,
      storedBytes: this.storedTotal,
      composedCount: this.lru.size,
      composedBytes: this.composedTotal,
      pinnedCount: this.pinnedEntries,
    };
  }

  /** The entry of `id`, pinned: a hit (moved to most recently used) or a new entry whose compose has started. */
  private pin(id: string): ComposedEntry {
    const hit = this.lru.get(id);
    if (hit !== undefined) {
      this.lru.delete(id);
      this.lru.set(id, hit);
      if (hit.pins++ === 0) this.pinnedEntries++;
      this.counts.hits++;
      return hit;
    }
    const stored = this.stored.get(id)!;
    const adapter = stored.adapter;
    const entry: ComposedEntry = {
      id,
      layout: stored.layout,
      pairs: null,
      bytes: 0,
      prepared: null,
      ready: Promise.resolve(null as unknown as PreparedAdapter),
      pins: 1,
      detached: false,
    };
    this.reserve(entry, adapter, stored.composedBytes); // may throw: nothing was added yet
    this.lru.set(id, entry);
    this.pinnedEntries++;
    this.counts.misses++;
    entry.ready = this.compose(entry, adapter);
    entry.ready.catch(() => undefined); // awaited by every acquire that pinned it; never unhandled
    return entry;
  }

  /**
   * Charges `entry` its composed bytes, evicting least recently used unpinned entries until they fit; for a
   * `lowrank` model it also gives the entry its pairs: an evicted entry's of the same layout, else new ones.
   */
  private reserve(entry: ComposedEntry, adapter: VBLoRAAdapter, need: number): void {
    const reused = this.makeRoom(need, entry, true);
    if (reused !== null) {
      entry.pairs = reused.pairs;
      entry.bytes = reused.bytes;
      this.composedTotal += entry.bytes;
      return;
    }
    if (this.info.variant === 'topk') {
      entry.bytes = need;
      this.composedTotal += need;
      return;
    }
    // pairs in the backend's own storage where it offers one (composed in place), else plain arrays
    const pairs = allocatePairs(adapter, this.pairsOptions);
    const bytes = pairsBufferBytes(pairs);
    // a backend's storage may hold more than the pairs (its scratch): room for the buffer's real size, or drop it
    if (this.composedTotal + bytes > this.maxComposed) this.makeRoom(bytes, entry, false);
    entry.pairs = pairs;
    entry.bytes = bytes;
    this.composedTotal += bytes;
  }

  /**
   * Evicts least recently used entries that no lease pins and that are composed until `need` more bytes fit for
   * `like`. With `reuse` (a `lowrank` entry without pairs yet), stops at the first evicted entry of `like`'s layout
   * and returns it: its pairs (and bytes) pass to `like`.
   * @throws {ResourceLimitError} when only pinned (or composing) entries are left and the bytes still do not fit.
   */
  private makeRoom(need: number, like: ComposedEntry, reuse: boolean): ComposedEntry | null {
    while (this.composedTotal + need > this.maxComposed) {
      let victim: ComposedEntry | undefined;
      for (const e of this.lru.values()) {
        if (e.pins === 0 && e.prepared !== null) {
          victim = e;
          break;
        }
      }
      if (victim === undefined) {
        throw new ResourceLimitError(
          `AdapterStore: composing ${JSON.stringify(like.id)} needs ${mib(need)} more; ` +
            `maxComposedBytes (${mib(this.maxComposed)}) holds ${mib(this.composedTotal)} of composed adapters that ` +
            `running batches pin (${this.stats().pinnedCount} pinned): release leases, acquire fewer adapters per batch, or raise the budget`,
          'maxComposedBytes',
        );
      }
      this.lru.delete(victim.id);
      this.composedTotal -= victim.bytes;
      victim.detached = true;
      this.counts.evictions++;
      if (reuse && victim.pairs !== null && victim.layout === like.layout) return victim;
    }
    return null;
  }

  /**
   * Composes `entry` once the composes asked before it have settled. One at a time: they share one thread (a
   * backend that awaits between modules would otherwise interleave them, and each would finish only when all do),
   * and each compose's time (`onCompose`) is its own.
   */
  private async compose(entry: ComposedEntry, adapter: VBLoRAAdapter): Promise<PreparedAdapter> {
    const turn = this.composing;
    let done!: () => void;
    this.composing = new Promise<void>((resolve) => (done = resolve));
    await turn;
    const t0 = performance.now();
    try {
      const into = entry.pairs === null ? {} : { into: entry.pairs };
      const prepared = await prepareAdapter(this.info, entry.id, adapter, this.backend, into);
      const seconds = (performance.now() - t0) / 1000;
      entry.prepared = prepared;
      this.counts.composes++;
      this.counts.composeSeconds += seconds;
      this.onCompose?.(entry.id, seconds);
      return prepared;
    } catch (err) {
      // half-written arrays: no later entry may take them
      entry.pairs = null;
      if (this.lru.get(entry.id) === entry) this.lru.delete(entry.id);
      if (!entry.detached) {
        entry.detached = true;
        if (entry.pins > 0) this.detached.add(entry);
        else this.composedTotal -= entry.bytes;
      }
      throw err;
    } finally {
      done();
    }
  }

  /** Takes `id`'s entry out of the LRU: freed now, or when its last lease is released. */
  private detach(id: string): void {
    const e = this.lru.get(id);
    if (e === undefined) return;
    this.lru.delete(id);
    e.detached = true;
    if (e.pins > 0) this.detached.add(e);
    else this.composedTotal -= e.bytes;
  }

  private unpin(entries: Iterable<ComposedEntry>): void {
    for (const e of entries) {
      e.pins--;
      if (e.pins > 0) continue;
      this.pinnedEntries--;
      if (this.detached.delete(e)) this.composedTotal -= e.bytes;
    }
  }
}
