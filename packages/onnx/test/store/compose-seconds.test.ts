/**
 * `onCompose` times each compose alone: a store composes one adapter at a time (a backend that awaits between
 * modules would otherwise interleave the composes of a batch, each finishing only when all do), so the time of
 * one never includes the others.
 */
import { describe, expect, it } from 'vitest';
import { referenceBackend, type Backend, type KernelSet } from '@vblora/core';
import { AdapterStore } from '@vblora/onnx';
import { injectedDecoder, topkAdapter } from './store-fixture.js';

/** Milliseconds the slow backend spends (busy, synchronously) on each module's compose. */
const WAIT_MS = 1;

/** The reference backend, spending at least WAIT_MS of wall clock synchronously on each module. */
const slow: Backend = {
  ...referenceBackend,
  name: 'reference-slow',
  kernels: {
    ...referenceBackend.kernels,
    composeLowRank: ((args) => {
      const end = performance.now() + WAIT_MS;
      while (performance.now() < end);
      return referenceBackend.kernels.composeLowRank!(args);
    }) as KernelSet['composeLowRank'],
  },
};

describe('AdapterStore: onCompose seconds', () => {
  it("a batch's composes are timed alone: none includes the others' time", async () => {
    const { info } = await injectedDecoder('lowrank');
    const seconds: number[] = [];
    const store = new AdapterStore(info, {
      maxStoredBytes: 2 ** 30,
      maxComposedBytes: 2 ** 30,
      backend: slow,
      onCompose: (_id, s) => seconds.push(s),
    });
    const ids = Array.from({ length: 8 }, (_, i) => `u${i}`);
    ids.forEach((id, i) => store.add(id, topkAdapter(70 + i)));
    const modules = topkAdapter(70).modules.size;
    const lease = await store.acquire(ids);
    lease.release();
    expect(seconds).toHaveLength(8);
    // each compose busy-waits modules × WAIT_MS: a lower bound that holds on any machine
    for (const s of seconds) expect(s * 1000).toBeGreaterThanOrEqual(modules * WAIT_MS);
    // interleaved, each of the 8 would span nearly all 8 (the sum ≈ 64 composes); alone, the sum is 8 composes
    // plus the moments between them — bound: twice the 8 composes
    const sumMs = seconds.reduce((a, s) => a + s * 1000, 0);
    expect(sumMs).toBeLessThan(2 * 8 * modules * WAIT_MS);
    expect(store.stats().composeSeconds * 1000).toBeCloseTo(sumMs, 6); // tolerance: 1e-6 ms (float sums)
  });
});
