/**
 * Collects requests into batches: a batch closes when it is full or `windowMs` after its first request. Its
 * adapters are stored and composed (an `AdapterStore` lease) while the previous batch is still generating; then it
 * generates as one left-padded `generate` call. At most one batch prepares and one generates at a time. A batch
 * whose adapters do not fit the composed budget beside the running batch's waits for it; one that does not fit
 * even alone runs in halves.
 * @module
 */
import { ResourceLimitError } from '@vblora/core';
import type { AdapterLease } from '@vblora/onnx';
import type { AdapterPool, StoredHold } from './adapter-pool.js';
import { HttpError } from './errors.js';
import type { BatchGenerator, GenerateResult, GenerateRow } from './generator.js';
import type { ServerMetrics } from './metrics.js';

interface Pending {
  readonly row: GenerateRow;
  readonly resolve: (r: GenerateResult) => void;
  readonly reject: (err: unknown) => void;
}

/** Batching options. */
export interface BatcherOptions {
  readonly windowMs: number;
  readonly maxBatchSize: number;
  readonly maxQueue: number;
}

/** An acquire's failure as the answer its requests get. */
function acquireError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof ResourceLimitError) {
    return new HttpError(503, 'overloaded', `the adapter does not fit the composed-adapter budget: ${err.message}`, {
      cause: err,
    });
  }
  const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new HttpError(422, 'adapter_invalid', `the adapter cannot be composed: ${why}`, { cause: err });
}

/** Batches generate requests onto one model. */
export class Batcher {
  private readonly queue: Pending[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private preparing = false;
  private generating: Promise<void> = Promise.resolve();
  private active = 0;
  private closed = false;
  private readonly idle: (() => void)[] = [];

  constructor(
    private readonly pool: AdapterPool,
    private readonly generator: BatchGenerator,
    private readonly metrics: ServerMetrics,
    private readonly options: BatcherOptions,
  ) {}

  /**
   * Queues one request; settles with its result.
   * @throws {HttpError} 503 `shutting_down` once {@link Batcher.drain} was called, `overloaded` when the queue is
   * full.
   */
  submit(row: GenerateRow): Promise<GenerateResult> {
    if (this.closed) return Promise.reject(new HttpError(503, 'shutting_down', 'the server is shutting down'));
    if (this.queue.length >= this.options.maxQueue) {
      return Promise.reject(
        new HttpError(503, 'overloaded', `${this.queue.length} requests are waiting already; try again later`),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      this.schedule();
    });
  }

  /** Stops taking requests and settles once every queued and running request is answered. */
  drain(): Promise<void> {
    this.closed = true;
    this.schedule();
    if (this.queue.length === 0 && this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.preparing || this.queue.length === 0) return;
    if (this.queue.length >= this.options.maxBatchSize || this.closed || this.options.windowMs === 0) {
      this.startBatch();
    } else if (this.timer === null) {
      this.timer = setTimeout(() => this.startBatch(), this.options.windowMs);
    }
  }

  private startBatch(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.preparing || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.options.maxBatchSize);
    this.preparing = true;
    this.active++;
    void this.runBatch(batch).finally(() => {
      this.active--;
      if (this.closed && this.active === 0 && this.queue.length === 0) for (const f of this.idle.splice(0)) f();
      this.schedule();
    });
  }

  /** A lease for `rows`, or the error the acquire threw. */
  private async tryAcquire(rows: readonly Pending[]): Promise<AdapterLease | Error> {
    try {
      return await this.pool.acquire(rows.map((p) => p.row.adapterId));
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  private async runBatch(batch: readonly Pending[]): Promise<void> {
    const held = await Promise.allSettled(
      batch.map((p) => (p.row.adapterId === null ? Promise.resolve(null) : this.pool.hold(p.row.adapterId))),
    );
    const ready: Pending[] = [];
    const holds: StoredHold[] = [];
    held.forEach((r, i) => {
      if (r.status === 'rejected') batch[i]!.reject(r.reason);
      else {
        ready.push(batch[i]!);
        if (r.value !== null) holds.push(r.value);
      }
    });
    const previous = this.generating;
    let done!: () => void;
    this.generating = new Promise((resolve) => (done = resolve));
    // composed while the previous batch generates; if its pins leave no room, once it is done
    let lease = ready.length === 0 ? null : await this.tryAcquire(ready);
    await previous;
    if (lease instanceof Error) lease = await this.tryAcquire(ready);
    const fits = !(lease instanceof Error);
    if (fits) {
      for (const h of holds) h.release(); // the lease pins what the batch runs
      this.preparing = false;
      this.schedule(); // the next batch may gather and compose while this one generates
    }
    try {
      if (lease === null) return;
      if (fits) await this.generate(ready, lease as AdapterLease);
      else await this.runSplit(ready, lease);
    } finally {
      for (const h of holds) h.release();
      if (!fits) this.preparing = false; // the next batch is scheduled when this one settles
      done();
    }
  }

  /** Runs `rows` in halves (each acquired alone, one after the other) after a failed acquire of all of them. */
  private async runSplit(rows: readonly Pending[], failure: unknown): Promise<void> {
    if (rows.length === 1) {
      rows[0]!.reject(acquireError(failure));
      return;
    }
    const mid = rows.length >> 1;
    for (const half of [rows.slice(0, mid), rows.slice(mid)]) {
      const lease = await this.tryAcquire(half);
      if (lease instanceof Error) await this.runSplit(half, lease);
      else await this.generate(half, lease as AdapterLease);
    }
  }

  private async generate(rows: readonly Pending[], lease: AdapterLease): Promise<void> {
    try {
      this.metrics.batchSize.observe(rows.length);
      const results = await this.generator.run(
        rows.map((p) => p.row),
        lease,
      );
      rows.forEach((p, i) => p.resolve(results[i]!));
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, 'internal', 'generation failed', { cause: err });
      for (const p of rows) p.reject(e);
    } finally {
      lease.release();
      this.pool.syncCounters();
    }
  }
}
