/**
 * AdapterStore under load: many concurrent acquires and releases with a small composed budget (eviction while
 * other batches run), concurrent acquires of one missing id (one compose), a request for an adapter that is being
 * evicted, removal while composing, and a compose that fails. Every lease's factors are compared bit for bit with a
 * fresh `prepareAdapter` of the same adapter (tolerance: none — the same kernel on the same inputs).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createRng,
  referenceBackend,
  ResourceLimitError,
  type Backend,
  type KernelSet,
  type VBLoRAAdapter,
} from '@vblora/core';
import {
  AdapterStore,
  prepareAdapter,
  type AdapterLease,
  type HotSwapInjectionInfo,
  type PreparedAdapter,
} from '@vblora/onnx';
import { injectedDecoder, topkAdapter } from './store-fixture.js';

let info: HotSwapInjectionInfo;
const adapters = new Map<string, VBLoRAAdapter>();
const fresh = new Map<string, PreparedAdapter>();
let entryBytes = 0;

beforeAll(async () => {
  info = (await injectedDecoder('lowrank')).info;
  for (let i = 0; i < 8; i++) {
    const id = `u${i}`;
    adapters.set(id, topkAdapter(40 + i, i % 2 === 0 ? 4 : 2)); // two layouts (r = 4 and r = 2)
    fresh.set(id, await prepareAdapter(info, id, adapters.get(id)!));
  }
  const probe = new AdapterStore(info, { maxStoredBytes: 2 ** 30, maxComposedBytes: 2 ** 30 });
  probe.add('u0', adapters.get('u0')!);
  (await probe.acquire(['u0'])).release();
  entryBytes = probe.stats().composedBytes; // an r = 4 entry: the larger layout
});

const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** First difference between a lease's factors of `id` and a fresh prepare, or null. */
function mismatch(lease: AdapterLease, id: string): string | null {
  const got = lease.prepared(id);
  for (const [path, w] of fresh.get(id)!.lowRank) {
    const g = got.lowRank.get(path);
    if (g === undefined) return `${id} ${path}: missing`;
    for (const k of ['A', 'B'] as const) {
      const [x, y] = [bits(g[k]), bits(w[k])];
      if (x.length !== y.length || x.some((v, i) => v !== y[i])) return `${id} ${path} ${k} differs`;
    }
  }
  return null;
}

function storeOf(entries: number, backend?: Backend): AdapterStore {
  const store = new AdapterStore(info, {
    maxStoredBytes: 2 ** 30,
    maxComposedBytes: entries * entryBytes,
    ...(backend === undefined ? {} : { backend }),
  });
  for (const [id, a] of adapters) store.add(id, a);
  return store;
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('AdapterStore under load', () => {
  it('200 concurrent batches over 8 adapters with room for 3: every lease sees its own factors', async () => {
    const store = storeOf(3);
    const rng = createRng(5);
    const ids = [...adapters.keys()];
    const bad: string[] = [];
    let peakPinned = 0;
    const batch = async (n: number): Promise<void> => {
      await tick(Math.floor(rng.uniform() * 3));
      const rows = [ids[Math.floor(rng.uniform() * ids.length)]!, null, ids[Math.floor(rng.uniform() * ids.length)]!];
      let lease: AdapterLease | undefined;
      for (let attempt = 0; lease === undefined; attempt++) {
        try {
          lease = await store.acquire(rows);
        } catch (err) {
          if (!(err instanceof ResourceLimitError)) throw err;
          // every entry pinned by other batches: wait for one to finish
          await tick(1 + (attempt % 3));
        }
      }
      peakPinned = Math.max(peakPinned, store.stats().pinnedCount);
      for (const id of lease.ids) {
        const m = mismatch(lease, id);
        if (m !== null) bad.push(`batch ${n} before: ${m}`);
      }
      await tick(Math.floor(rng.uniform() * 3)); // "running": other batches evict and compose meanwhile
      for (const id of lease.ids) {
        const m = mismatch(lease, id);
        if (m !== null) bad.push(`batch ${n} after: ${m}`);
      }
      lease.release();
    };
    await Promise.all(Array.from({ length: 200 }, (_, n) => batch(n)));
    expect(bad).toEqual([]);
    const s = store.stats();
    expect(s.evictions).toBeGreaterThanOrEqual(5); // the load really evicted while batches held other entries (timing decides how often)
    expect(peakPinned).toBeGreaterThanOrEqual(2);
    expect(s.pinnedCount).toBe(0);
    expect(s.composedBytes).toBeLessThanOrEqual(3 * entryBytes);
    expect(s.composes).toBe(s.misses);
    expect(s.hits + s.misses).toBeGreaterThanOrEqual(200);
  });

  it('concurrent acquires of one missing id compose it once and share the factors', async () => {
    const store = storeOf(2);
    const leases = await Promise.all(Array.from({ length: 5 }, () => store.acquire(['u1', 'u1'])));
    expect(store.stats()).toMatchObject({ composes: 1, misses: 1, hits: 4, pinnedCount: 1 });
    for (const l of leases) expect(l.prepared('u1')).toBe(leases[0]!.prepared('u1'));
    expect(mismatch(leases[0]!, 'u1')).toBeNull();
    for (const l of leases) l.release();
    expect(store.stats().pinnedCount).toBe(0);
  });

  it('a request for an adapter that is being evicted composes it again, elsewhere; both leases are right', async () => {
    const store = storeOf(2);
    (await store.acquire(['u0'])).release();
    (await store.acquire(['u2'])).release(); // LRU: u0, u2
    const u0Before = store.stats().composes;
    // u4 evicts u0 and starts composing into u0's arrays; the request for u0 arrives in the same tick
    const [l4, l0] = await Promise.all([store.acquire(['u4']), store.acquire(['u0'])]);
    expect(store.stats()).toMatchObject({ evictions: 2, composes: u0Before + 2, pinnedCount: 2 });
    expect(mismatch(l4, 'u4')).toBeNull();
    expect(mismatch(l0, 'u0')).toBeNull();
    const a4 = l4.prepared('u4').lowRank.values().next().value!.A;
    const a0 = l0.prepared('u0').lowRank.values().next().value!.A;
    expect(a4.buffer).not.toBe(a0.buffer);
    l4.release();
    l0.release();
  });

  it('an adapter removed while it is being composed: its lease is valid, its bytes freed at release', async () => {
    const store = storeOf(2);
    const pending = store.acquire(['u3']);
    expect(store.remove('u3')).toBe(true);
    const lease = await pending;
    expect(mismatch(lease, 'u3')).toBeNull();
    expect(store.stats()).toMatchObject({ composedCount: 0, pinnedCount: 1 });
    expect(store.stats().composedBytes).toBeGreaterThan(0);
    lease.release();
    expect(store.stats()).toMatchObject({ composedCount: 0, composedBytes: 0, pinnedCount: 0 });
  });

  it('a compose that fails: every acquire waiting on it rejects, and nothing stays pinned or charged', async () => {
    let calls = 0;
    const failing: Backend = {
      ...referenceBackend,
      name: 'fails-on-third-module',
      kernels: {
        ...referenceBackend.kernels,
        composeLowRank: ((args) => {
          if (++calls === 3) throw new Error('device lost');
          return referenceBackend.kernels.composeLowRank!(args);
        }) as KernelSet['composeLowRank'],
      },
    };
    const store = storeOf(2, failing);
    const results = await Promise.allSettled([store.acquire(['u0']), store.acquire(['u0', null])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/device lost/);
    expect(store.stats()).toMatchObject({ composedCount: 0, composedBytes: 0, pinnedCount: 0, composes: 0 });
    const lease = await store.acquire(['u0']); // composes again, this time whole
    expect(mismatch(lease, 'u0')).toBeNull();
    lease.release();
  });
});
