/**
 * The adapters of one loaded model, in two LRU caches within byte budgets: parsed adapter files (`stored`) and
 * adapters composed into the model's A/B inputs (`composed`, loaded into the transformers.js adapter controller).
 * A request pins its adapter for its batch: a pinned adapter is never evicted, so a batch never loses an adapter
 * between decoding steps, and a request for an adapter that is being dropped simply composes it again.
 * @module
 */
import { AdapterError, type VBLoRAAdapter } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import type { AdapterController } from '@vblora/transformers/node';
import type { AdapterCatalog } from './adapter-catalog.js';
import { HttpError } from './errors.js';
import type { ServerMetrics } from './metrics.js';

interface Composed {
  readonly id: string;
  /** Bytes of the composed A/B factors (float32). */
  bytes: number;
  pins: number;
  /** Settles when the adapter is composed (rejects when it cannot be). */
  readonly ready: Promise<void>;
  done: boolean;
}

interface Stored {
  readonly adapter: VBLoRAAdapter;
  readonly bytes: number;
}

/** A pinned adapter: released once its request's batch is done. */
export interface AdapterPin {
  readonly id: string;
  release(): void;
}

/** Counts of the two caches. */
export interface PoolStats {
  readonly storedCount: number;
  readonly storedBytes: number;
  readonly composedCount: number;
  readonly composedBytes: number;
  readonly pinned: number;
}

/** Bytes of an adapter's composed factors: A (r, in) and B (out, r) float32 per module. */
function composedBytesOf(adapter: VBLoRAAdapter): number {
  let n = 0;
  for (const m of adapter.modules.values()) n += adapter.config.r * (m.inFeatures + m.outFeatures) * 4;
  return n;
}

/** Stored and composed adapters of one model, pinned per request. */
export class AdapterPool {
  private readonly composed = new Map<string, Composed>(); // insertion order is recency: oldest first
  private readonly stored = new Map<string, Stored>();
  private storedTotal = 0;
  private composedTotal = 0;

  constructor(
    private readonly controller: AdapterController,
    private readonly catalog: AdapterCatalog,
    private readonly metrics: ServerMetrics,
    private readonly budgets: { readonly storedBytes: number; readonly composedBytes: number },
  ) {}

  /**
   * Pins adapter `id`, composing it first when it is not composed (or being composed by another request).
   * @throws {HttpError} 404 `unknown_adapter`, 422 `adapter_invalid`.
   */
  async pin(id: string): Promise<AdapterPin> {
    let entry = this.composed.get(id);
    if (entry !== undefined) {
      this.metrics.cacheHits.inc({ level: 'composed' });
      this.composed.delete(id); // most recently used goes last
      this.composed.set(id, entry);
    } else {
      this.metrics.cacheMisses.inc({ level: 'composed' });
      entry = this.startCompose(id);
    }
    entry.pins++;
    try {
      await entry.ready;
    } catch (err) {
      entry.pins--;
      throw err;
    }
    let released = false;
    const e = entry;
    return {
      id,
      release: () => {
        if (released) return;
        released = true;
        e.pins--;
        this.evictComposed();
      },
    };
  }

  /** Counts of both caches. */
  stats(): PoolStats {
    let pinned = 0;
    for (const e of this.composed.values()) if (e.pins > 0) pinned++;
    return {
      storedCount: this.stored.size,
      storedBytes: this.storedTotal,
      composedCount: this.composed.size,
      composedBytes: this.composedTotal,
      pinned,
    };
  }

  private startCompose(id: string): Composed {
    const entry: { -readonly [K in keyof Composed]: Composed[K] } = {
      id,
      bytes: 0,
      pins: 0,
      done: false,
      ready: Promise.resolve(),
    };
    this.composed.set(id, entry);
    entry.ready = this.compose(entry);
    entry.ready.catch(() => {
      if (this.composed.get(id) === entry) this.composed.delete(id);
      this.updateGauges();
    });
    return entry;
  }

  private async compose(entry: Composed): Promise<void> {
    const adapter = await this.storedAdapter(entry.id);
    const t0 = performance.now();
    try {
      await this.controller.load(entry.id, adapter);
    } catch (err) {
      const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw new HttpError(422, 'adapter_invalid', `adapter ${entry.id} does not fit the model: ${why}`, {
        cause: err,
      });
    }
    this.metrics.composeSeconds.observe((performance.now() - t0) / 1000);
    entry.bytes = composedBytesOf(adapter);
    entry.done = true;
    this.composedTotal += entry.bytes;
    this.evictComposed();
  }

  /** Drops the least recently used composed adapters that nothing pins until the total fits the budget. */
  private evictComposed(): void {
    for (const [id, e] of this.composed) {
      if (this.composedTotal <= this.budgets.composedBytes) break;
      if (!e.done || e.pins > 0) continue;
      this.composed.delete(id);
      this.composedTotal -= e.bytes;
      this.controller.unload(id);
      this.metrics.cacheEvictions.inc({ level: 'composed' });
    }
    this.updateGauges();
  }

  private async storedAdapter(id: string): Promise<VBLoRAAdapter> {
    const hit = this.stored.get(id);
    if (hit !== undefined) {
      this.metrics.cacheHits.inc({ level: 'stored' });
      this.stored.delete(id);
      this.stored.set(id, hit);
      return hit.adapter;
    }
    this.metrics.cacheMisses.inc({ level: 'stored' });
    const found = await this.catalog.find(id);
    if (found === null) throw new HttpError(404, 'unknown_adapter', `no adapter ${JSON.stringify(id)}`);
    let adapter: VBLoRAAdapter;
    try {
      // a file larger than the whole store is refused before it is read (readAdapterDir's budget check)
      adapter = (await readAdapterDir(found.dir, 'default', { maxMemoryBytes: this.budgets.storedBytes })).adapter;
      if (adapter.extraTensors.size > 0) {
        throw new AdapterError(
          `it replaces base tensors (${[...adapter.extraTensors.keys()][0]}, …), which cannot differ between the rows of one batch`,
        );
      }
    } catch (err) {
      const why = err instanceof Error ? `${err.name}: ${err.message.replaceAll(found.dir, '<adapter>')}` : String(err);
      throw new HttpError(422, 'adapter_invalid', `adapter ${id} cannot be served: ${why}`, { cause: err });
    }
    const bytes = found.weightsBytes;
    const stale = this.stored.get(id); // another request read it meanwhile
    if (stale !== undefined) this.storedTotal -= stale.bytes;
    this.stored.set(id, { adapter, bytes });
    this.storedTotal += bytes;
    for (const [old, s] of this.stored) {
      if (this.storedTotal <= this.budgets.storedBytes || old === id) break;
      this.stored.delete(old);
      this.storedTotal -= s.bytes;
      this.metrics.cacheEvictions.inc({ level: 'stored' });
    }
    this.updateGauges();
    return adapter;
  }

  private updateGauges(): void {
    this.metrics.adaptersStored.set(this.stored.size);
    this.metrics.storedBytes.set(this.storedTotal);
    let n = 0;
    for (const e of this.composed.values()) if (e.done) n++;
    this.metrics.adaptersComposed.set(n);
    this.metrics.composedBytes.set(this.composedTotal);
  }
}
