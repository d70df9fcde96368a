/**
 * Collects requests into batches: a batch closes when it is full or `windowMs` after its first request. Its
 * adapters are pinned (composed when cold) while the previous batch is still generating; then it generates as one
 * left-padded `generate` call. At most one batch prepares and one generates at a time.
 * @module
 */
import type { AdapterPin, AdapterPool } from './adapter-pool.js';
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

/** Batches generate requests onto one model. */
export class Batcher {
  private readonly queue: Pending[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private preparing = false;
  private generating: Promise<void> = Promise.resolve();
  private active = 0;
  private closed = false;
  private idle: (() => void) | null = null;

  constructor(
    private readonly pool: AdapterPool,
    private readonly generator: BatchGenerator,
    private readonly metrics: ServerMetrics,
    private readonly options: BatcherOptions,
  ) {}

  /**
   * Queues one request; settles with its result.
   * @throws {HttpError} 503 `shutting_down` once {@link Batcher.drain} was called or when the queue is full.
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
    return new Promise((resolve) => {
      this.idle = resolve;
    });
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
      if (this.closed && this.active === 0 && this.queue.length === 0) this.idle?.();
      this.schedule();
    });
  }

  private async runBatch(batch: readonly Pending[]): Promise<void> {
    const pins = await Promise.allSettled(
      batch.map((p) => (p.row.adapterId === null ? Promise.resolve(null) : this.pool.pin(p.row.adapterId))),
    );
    const ready: Pending[] = [];
    const held: AdapterPin[] = [];
    pins.forEach((r, i) => {
      if (r.status === 'rejected') batch[i]!.reject(r.reason);
      else {
        ready.push(batch[i]!);
        if (r.value !== null) held.push(r.value);
      }
    });
    const previous = this.generating;
    let done!: () => void;
    this.generating = new Promise((resolve) => (done = resolve));
    try {
      await previous;
      this.preparing = false;
      this.schedule(); // the next batch may gather and compose while this one generates
      if (ready.length === 0) return;
      this.metrics.batchSize.observe(ready.length);
      const results = await this.generator.run(ready.map((p) => p.row));
      ready.forEach((p, i) => p.resolve(results[i]!));
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, 'internal', 'generation failed', { cause: err });
      for (const p of ready) p.reject(e);
    } finally {
      for (const pin of held) pin.release();
      done();
    }
  }
}
