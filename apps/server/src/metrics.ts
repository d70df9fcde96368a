/**
 * The server's Prometheus metrics (prom-client, one registry per server so that several servers in one process —
 * tests — never share counters).
 * @module
 */
import { Counter, Gauge, Histogram, Registry, exponentialBuckets } from 'prom-client';

/** Every metric the server exposes at `GET /metrics`. */
export interface ServerMetrics {
  readonly registry: Registry;
  /** Adapter cache hits, misses and evictions; `level` is `stored` (parsed files) or `composed` (A/B factors). */
  readonly cacheHits: Counter<'level'>;
  readonly cacheMisses: Counter<'level'>;
  readonly cacheEvictions: Counter<'level'>;
  /** Seconds to compose one adapter (a composed-cache miss). */
  readonly composeSeconds: Histogram;
  /** Requests per batch (one ONNX Runtime run per decoding step for the whole batch). */
  readonly batchSize: Histogram;
  /** Seconds from a request's arrival to its answer, by route and status code. */
  readonly requestSeconds: Histogram<'route' | 'status'>;
  /** Requests being answered now. */
  readonly inFlight: Gauge;
  /** Adapters held parsed / composed, and the bytes they take. */
  readonly adaptersStored: Gauge;
  readonly adaptersComposed: Gauge;
  readonly storedBytes: Gauge;
  readonly composedBytes: Gauge;
}

/** A fresh set of metrics in its own registry. */
export function createMetrics(): ServerMetrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    cacheHits: new Counter({
      name: 'vblora_adapter_cache_hits_total',
      help: 'Adapter cache hits',
      labelNames: ['level'],
      registers,
    }),
    cacheMisses: new Counter({
      name: 'vblora_adapter_cache_misses_total',
      help: 'Adapter cache misses',
      labelNames: ['level'],
      registers,
    }),
    cacheEvictions: new Counter({
      name: 'vblora_adapter_cache_evictions_total',
      help: 'Adapters evicted from a cache',
      labelNames: ['level'],
      registers,
    }),
    composeSeconds: new Histogram({
      name: 'vblora_compose_seconds',
      help: 'Time to compose one adapter into A/B factors (cold start of an adapter)',
      buckets: exponentialBuckets(0.0005, 2, 14),
      registers,
    }),
    batchSize: new Histogram({
      name: 'vblora_batch_size',
      help: 'Requests per generate batch',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    }),
    requestSeconds: new Histogram({
      name: 'vblora_request_duration_seconds',
      help: 'Request latency',
      labelNames: ['route', 'status'],
      buckets: exponentialBuckets(0.001, 2, 15),
      registers,
    }),
    inFlight: new Gauge({ name: 'vblora_requests_in_flight', help: 'Requests being answered', registers }),
    adaptersStored: new Gauge({ name: 'vblora_adapters_stored', help: 'Adapters held parsed in memory', registers }),
    adaptersComposed: new Gauge({
      name: 'vblora_adapters_composed',
      help: 'Adapters held composed, ready to run',
      registers,
    }),
    storedBytes: new Gauge({ name: 'vblora_adapters_stored_bytes', help: 'Bytes of parsed adapters', registers }),
    composedBytes: new Gauge({
      name: 'vblora_adapters_composed_bytes',
      help: 'Bytes of composed adapter factors',
      registers,
    }),
  };
}
