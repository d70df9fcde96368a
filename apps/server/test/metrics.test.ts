/**
 * `GET /metrics`: valid Prometheus text (checked line by line by a strict reader) that counts what happened.
 */
import { describe, expect, it } from 'vitest';
import { PRESENT } from './helpers/fixture.js';
import { sampleSum } from './helpers/prometheus.js';
import { generate, metrics, testServer } from './helpers/server.js';

describe.runIf(PRESENT)('GET /metrics', () => {
  it('declares every family with its type and counts cache hits, misses, composes, batches and latencies', async () => {
    const app = await testServer({ batchWindowMs: 0 });
    const before = await metrics(app);
    expect(Object.fromEntries(before.types)).toMatchObject({
      vblora_adapter_cache_hits_total: 'counter',
      vblora_adapter_cache_misses_total: 'counter',
      vblora_adapter_cache_evictions_total: 'counter',
      vblora_compose_seconds: 'histogram',
      vblora_batch_size: 'histogram',
      vblora_request_duration_seconds: 'histogram',
      vblora_requests_in_flight: 'gauge',
      vblora_adapters_stored: 'gauge',
      vblora_adapters_composed: 'gauge',
    });
    for (const id of ['vblora-a', 'vblora-a', 'vblora-b', null]) {
      expect((await generate(app, { adapter_id: id, prompt: 'the dog', max_new_tokens: 2 })).status).toBe(200);
    }
    expect((await generate(app, { adapter_id: 'missing', prompt: 'the dog' })).status).toBe(404);
    const m = await metrics(app);
    const c = (name: string, labels: Record<string, string> = {}): number => sampleSum(m, name, labels);
    expect(c('vblora_adapter_cache_misses_total', { level: 'composed' })).toBe(2);
    expect(c('vblora_adapter_cache_hits_total', { level: 'composed' })).toBe(1);
    // both fixture adapters were read at startup (preloadAdapters): each of the three requests found its stored
    expect(sampleSum(before, 'vblora_adapters_stored')).toBe(2);
    expect(c('vblora_adapter_cache_hits_total', { level: 'stored' })).toBe(3);
    expect(c('vblora_adapter_cache_misses_total', { level: 'stored' })).toBe(0);
    expect(c('vblora_adapter_cache_evictions_total')).toBe(0);
    expect(c('vblora_compose_seconds_count')).toBe(2);
    expect(c('vblora_compose_seconds_sum')).toBeGreaterThan(0);
    expect(c('vblora_batch_size_count')).toBe(4);
    expect(c('vblora_batch_size_sum')).toBe(4);
    expect(c('vblora_request_duration_seconds_count', { route: '/generate', status: '200' })).toBe(4);
    expect(c('vblora_request_duration_seconds_count', { route: '/generate', status: '404' })).toBe(1);
    // histogram buckets are cumulative and end at +Inf = count
    const buckets = m.samples.filter(
      (s) =>
        s.name === 'vblora_request_duration_seconds_bucket' &&
        s.labels['route'] === '/generate' &&
        s.labels['status'] === '200',
    );
    buckets.slice(1).forEach((b, i) => expect(b.value).toBeGreaterThanOrEqual(buckets[i]!.value));
    expect(buckets.at(-1)).toMatchObject({ labels: { le: '+Inf' }, value: 4 });
    expect(c('vblora_adapters_stored')).toBe(2);
    expect(c('vblora_adapters_composed')).toBe(2);
    expect(c('vblora_requests_in_flight')).toBe(1);
    await app.close();
  });

  it('without preloading, an adapter is read at its first request (a stored miss)', async () => {
    const app = await testServer({ batchWindowMs: 0, preloadAdapters: false });
    expect(sampleSum(await metrics(app), 'vblora_adapters_stored')).toBe(0);
    for (const id of ['vblora-b', 'vblora-b']) {
      expect((await generate(app, { adapter_id: id, prompt: 'the dog', max_new_tokens: 2 })).status).toBe(200);
    }
    const m = await metrics(app);
    expect(sampleSum(m, 'vblora_adapter_cache_misses_total', { level: 'stored' })).toBe(1);
    expect(sampleSum(m, 'vblora_adapter_cache_misses_total', { level: 'composed' })).toBe(1);
    expect(sampleSum(m, 'vblora_adapter_cache_hits_total', { level: 'composed' })).toBe(1);
    expect(sampleSum(m, 'vblora_adapters_stored')).toBe(1);
    await app.close();
  });
});
