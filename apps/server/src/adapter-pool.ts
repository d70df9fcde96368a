/**
 * The server's adapters on top of `@vblora/onnx`'s `AdapterStore`: adapter files read into the store (top-k form,
 * within `storedBytes`; the least recently used are removed when a new one needs room), and composed per batch by
 * `store.acquire(rows)` into its LRU within `composedBytes`. A batch's lease pins its composed adapters, so a batch
 * never loses an adapter between decoding steps; an adapter evicted meanwhile is composed again by the next
 * request for it.
 * @module
 */
import { AdapterError, ResourceLimitError, type Backend, type VBLoRAAdapter } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { AdapterStore, type AdapterLease, type AdapterStoreStats, type HotSwapInjectionInfo } from '@vblora/onnx';
import type { AdapterCatalog, CatalogEntry } from './adapter-catalog.js';
import { HttpError } from './errors.js';
import type { ServerMetrics } from './metrics.js';

/** Budgets of the pool. */
export interface PoolBudgets {
  readonly storedBytes: number;
  readonly composedBytes: number;
}

/** A stored adapter held for a request until its batch has acquired its lease. */
export interface StoredHold {
  readonly id: string;
  release(): void;
}

/** Adapters of one model: stored on first use (or at startup), composed per batch. */
export class AdapterPool {
  /** The store (exposed for tests and metrics). */
  readonly store: AdapterStore;
  /** Stored ids, least recently used first. */
  private readonly recency = new Map<string, number>(); // id → holds
  private readonly reading = new Map<string, Promise<void>>();
  private seen: AdapterStoreStats;

  constructor(
    info: HotSwapInjectionInfo,
    private readonly catalog: AdapterCatalog,
    private readonly metrics: ServerMetrics,
    private readonly budgets: PoolBudgets,
    backend?: Backend,
  ) {
    this.store = new AdapterStore(info, {
      maxStoredBytes: budgets.storedBytes,
      maxComposedBytes: budgets.composedBytes,
      ...(backend === undefined ? {} : { backend }),
      onCompose: (_id, seconds) => metrics.composeSeconds.observe(seconds),
    });
    this.seen = this.store.stats();
  }

  /**
   * Makes sure adapter `id` is stored (reading its folder on a miss) and holds it there until `release()`.
   * @throws {HttpError} 404 `unknown_adapter`, 422 `adapter_invalid`.
   */
  async hold(id: string): Promise<StoredHold> {
    let first = true;
    // another request's read may remove `id` again before this continuation runs: loop until it is held
    while (!this.store.has(id)) {
      if (first) this.metrics.cacheMisses.inc({ level: 'stored' });
      first = false;
      let pending = this.reading.get(id);
      if (pending === undefined) {
        pending = this.read(id).finally(() => this.reading.delete(id));
        this.reading.set(id, pending);
      }
      await pending;
    }
    if (first) this.metrics.cacheHits.inc({ level: 'stored' });
    const holds = (this.recency.get(id) ?? 0) + 1;
    this.recency.delete(id); // most recently used goes last
    this.recency.set(id, holds);
    let released = false;
    return {
      id,
      release: () => {
        if (released) return;
        released = true;
        const n = this.recency.get(id);
        if (n !== undefined) this.recency.set(id, n - 1);
      },
    };
  }

  /**
   * Reads adapters into the store ahead of their first request, in order, while they fit its budget; an adapter
   * that cannot be read is left for its first request to report (422). Returns how many were stored.
   */
  async preload(ids: readonly string[]): Promise<number> {
    let n = 0;
    for (const id of ids) {
      const found = await this.catalog.find(id);
      if (found === null || this.store.has(id)) continue;
      let adapter: VBLoRAAdapter;
      try {
        adapter = await this.readAdapter(found);
      } catch {
        continue; // reported to the first request for it
      }
      try {
        this.store.add(id, adapter);
      } catch (err) {
        if (err instanceof ResourceLimitError) break; // the budget is full: the rest are read when asked for
        continue;
      }
      this.recency.set(id, 0);
      n++;
    }
    this.updateGauges();
    return n;
  }

  /**
   * Composes what `rows` need and pins it: a lease to run the batch with, to release once it is done.
   * @throws {ResourceLimitError} when the composed budget cannot hold the batch's adapters beside the ones other
   * running batches pin (the caller waits for them, or splits the batch).
   */
  async acquire(rows: readonly (string | null)[]): Promise<AdapterLease> {
    try {
      return await this.store.acquire(rows);
    } finally {
      this.syncCounters();
    }
  }

  /** The store's counters and sizes. */
  stats(): AdapterStoreStats {
    return this.store.stats();
  }

  /** Publishes the store's counters since the last call to the metrics. */
  syncCounters(): void {
    const s = this.store.stats();
    this.metrics.cacheHits.inc({ level: 'composed' }, s.hits - this.seen.hits);
    this.metrics.cacheMisses.inc({ level: 'composed' }, s.misses - this.seen.misses);
    this.metrics.cacheEvictions.inc({ level: 'composed' }, s.evictions - this.seen.evictions);
    this.seen = s;
    this.updateGauges(s);
  }

  private async read(id: string): Promise<void> {
    const found = await this.catalog.find(id);
    if (found === null) throw new HttpError(404, 'unknown_adapter', `no adapter ${JSON.stringify(id)}`);
    const adapter = await this.readAdapter(found);
    for (;;) {
      try {
        this.store.add(id, adapter);
        this.recency.set(id, 0);
        break;
      } catch (err) {
        // room for it: remove the least recently used adapter no request holds (leases keep its composed factors)
        const victim = err instanceof ResourceLimitError ? this.leastRecentUnheld() : undefined;
        if (victim === undefined) {
          const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
          throw new HttpError(422, 'adapter_invalid', `adapter ${id} cannot be served: ${why}`, { cause: err });
        }
        this.store.remove(victim);
        this.recency.delete(victim);
        this.metrics.cacheEvictions.inc({ level: 'stored' });
      }
    }
    this.updateGauges();
  }

  /** @throws {HttpError} 422 `adapter_invalid` when the files are not an adapter the server can batch. */
  private async readAdapter(found: CatalogEntry): Promise<VBLoRAAdapter> {
    try {
      // a file larger than the whole store is refused before it is read (readAdapterDir's budget check)
      const { adapter } = await readAdapterDir(found.dir, 'default', { maxMemoryBytes: this.budgets.storedBytes });
      if (adapter.extraTensors.size > 0) {
        throw new AdapterError(
          `it replaces base tensors (${[...adapter.extraTensors.keys()][0]}, …), which cannot differ between the rows of one batch`,
        );
      }
      return adapter;
    } catch (err) {
      const why = err instanceof Error ? `${err.name}: ${err.message.replaceAll(found.dir, '<adapter>')}` : String(err);
      throw new HttpError(422, 'adapter_invalid', `adapter ${found.id} cannot be served: ${why}`, { cause: err });
    }
  }

  /** The least recently used stored id that no request holds (no copy of the recency list). */
  private leastRecentUnheld(): string | undefined {
    for (const [id, holds] of this.recency) if (holds === 0) return id;
    return undefined;
  }

  private updateGauges(s: AdapterStoreStats = this.store.stats()): void {
    this.metrics.adaptersStored.set(s.storedCount);
    this.metrics.storedBytes.set(s.storedBytes);
    this.metrics.adaptersComposed.set(s.composedCount);
    this.metrics.composedBytes.set(s.composedBytes);
  }
}
