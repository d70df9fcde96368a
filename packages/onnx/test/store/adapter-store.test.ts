/**
 * AdapterStore without a session: budgets, LRU order, reuse of an evicted entry's arrays, pinning, removal while
 * leased, unknown ids. Composed factors are compared with a fresh `prepareAdapter` of the same adapter bit for bit
 * (the same kernel on the same inputs).
 */
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdapterError, ConfigError, ResourceLimitError, ShapeError, type VBLoRAAdapter } from '@vblora/core';
import { createCpuBackend } from '@vblora/cpu';
import { tinyLlamaPath } from '@vblora/conformance/fixtures';
import {
  AdapterStore,
  addAdapterDir,
  prepareAdapter,
  type HotSwapInjectionInfo,
  type PreparedAdapter,
} from '@vblora/onnx';
import { decoderAdapter } from '../helpers/decoder-runs.js';
import { expectSameAsFresh, injectedDecoder, topkAdapter, WEIGHTS } from './store-fixture.js';

let info: HotSwapInjectionInfo;
let topkInfo: HotSwapInjectionInfo;
const adapters = new Map<string, VBLoRAAdapter>();
/** Bytes of one composed entry and of one stored adapter (all test adapters share one layout). */
let entryBytes = 0;
let storedBytes = 0;

beforeAll(async () => {
  info = (await injectedDecoder('lowrank')).info;
  topkInfo = (await injectedDecoder('topk')).info;
  for (let i = 0; i < 6; i++) adapters.set(`u${i}`, topkAdapter(20 + i));
  const probe = new AdapterStore(info, { maxStoredBytes: 2 ** 30, maxComposedBytes: 2 ** 30 });
  probe.add('u0', adapters.get('u0')!);
  (await probe.acquire(['u0'])).release();
  entryBytes = probe.stats().composedBytes;
  storedBytes = probe.stats().storedBytes;
});

/** A store holding u0..u5 whose composed budget fits `entries` entries. */
function storeOf(entries: number, backend?: ReturnType<typeof createCpuBackend>): AdapterStore {
  const store = new AdapterStore(info, {
    maxStoredBytes: 2 ** 30,
    maxComposedBytes: entries * entryBytes,
    ...(backend === undefined ? {} : { backend }),
  });
  for (const [id, a] of adapters) store.add(id, a);
  return store;
}

const arraysOf = (p: PreparedAdapter): Float32Array[] => [...p.lowRank.values()].flatMap((f) => [f.A, f.B]);

describe('AdapterStore: the catalogue', () => {
  it('sizes: an entry (reference backend) is its float32 pairs; stored bytes are the top-k tensors', () => {
    const a = adapters.get('u0')!;
    let pairs = 0;
    for (const m of a.modules.values()) pairs += 4 * 4 * (m.inFeatures + m.outFeatures); // r = 4
    expect(entryBytes).toBe(pairs);
    let topk = a.bank.data.byteLength;
    for (const m of a.modules.values()) {
      for (const f of [m.a, m.b]) {
        if (f.kind !== 'topk') throw new Error('expected top-k factors');
        topk += f.indices.data.byteLength + f.weights.data.byteLength;
      }
    }
    expect(storedBytes).toBe(topk);
  });

  it('add over maxStoredBytes: ResourceLimitError naming the id and the budget; nothing is evicted', () => {
    const store = new AdapterStore(info, { maxStoredBytes: 2 * storedBytes, maxComposedBytes: entryBytes });
    store.add('u0', adapters.get('u0')!);
    store.add('u1', adapters.get('u1')!);
    let err: unknown;
    try {
      store.add('u2', adapters.get('u2')!);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ResourceLimitError);
    expect((err as ResourceLimitError).limit).toBe('maxStoredBytes');
    expect((err as Error).message).toMatch(/"u2".*maxStoredBytes/);
    expect(store.ids).toEqual(['u0', 'u1']);
    expect(store.stats().storedBytes).toBe(2 * storedBytes);
    // replacing an id within the budget is fine (its old bytes are given back)
    store.add('u1', adapters.get('u3')!);
    expect(store.size).toBe(2);
    expect(store.remove('u1')).toBe(true);
    expect(store.remove('u1')).toBe(false);
    expect(store.has('u1')).toBe(false);
    store.add('u2', adapters.get('u2')!);
    expect(store.ids).toEqual(['u0', 'u2']);
  });

  it('a logits adapter is stored in top-k form, and composes as that form does', async () => {
    const full = decoderAdapter(WEIGHTS, [...adapters.get('u0')!.modules.keys()], 20, 'full');
    const store = storeOf(2);
    store.add('full', full);
    const lease = await store.acquire(['full']);
    await expectSameAsFresh(info, lease.prepared('full'), adapters.get('u0')!, 'logits adapter');
    lease.release();
    expect(store.stats().storedBytes).toBe(7 * storedBytes);
  });

  it('bad input: budgets, adapters that do not fit, unknown ids', async () => {
    expect(() => new AdapterStore(info, { maxStoredBytes: -1, maxComposedBytes: 1 })).toThrow(ConfigError);
    expect(() => new AdapterStore(info, { maxStoredBytes: 1, maxComposedBytes: Number.NaN })).toThrow(
      /maxComposedBytes must be a finite number/,
    );
    const store = storeOf(1);
    const wide = decoderAdapter(
      { ...WEIGHTS, linear: new Map([['model.layers.0.self_attn.q_proj', { inF: 32, outF: 64 }]]) } as never,
      ['model.layers.0.self_attn.q_proj'],
      3,
    );
    expect(() => store.add('wide', wide)).toThrow(ShapeError);
    const stats = store.stats();
    const err = await store.acquire(['u0', 'nobody']).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AdapterError);
    expect((err as Error).message).toMatch(/no adapter "nobody" is stored/);
    expect(store.stats()).toEqual(stats); // nothing pinned, nothing composed
  });
});

describe.runIf(existsSync(tinyLlamaPath('adapters', 'vblora-a', 'adapter_config.json')))('addAdapterDir (Node)', () => {
  it('reads within maxMemoryBytes: a weights file over it is refused before it is read, and nothing is stored', async () => {
    const store = storeOf(1);
    const dir = tinyLlamaPath('adapters', 'vblora-a');
    const err = await addAdapterDir(store, 'big', dir, { maxMemoryBytes: 1024 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ResourceLimitError);
    expect((err as ResourceLimitError).limit).toBe('maxMemory');
    expect(store.has('big')).toBe(false);
    // within the budget it is read, then checked against the model like add(): tiny-llama's modules are not ours
    await expect(addAdapterDir(store, 'other', dir)).rejects.toThrow(/module/);
    expect(store.has('other')).toBe(false);
  });
});

describe('AdapterStore: the composed LRU', () => {
  it('hits compose nothing; a miss evicts the least recently used entry and composes into its arrays', async () => {
    const seen: string[] = [];
    const store = new AdapterStore(info, {
      maxStoredBytes: 2 ** 30,
      maxComposedBytes: 2 * entryBytes,
      onCompose: (id, seconds) => {
        expect(seconds).toBeGreaterThanOrEqual(0);
        seen.push(id);
      },
    });
    for (const [id, a] of adapters) store.add(id, a);
    const l0 = await store.acquire(['u0']);
    const u0Arrays = arraysOf(l0.prepared('u0'));
    l0.release();
    (await store.acquire(['u1'])).release();
    (await store.acquire(['u0'])).release(); // a hit: u0 is now the most recent, u1 the least
    expect(seen).toEqual(['u0', 'u1']);
    const l2 = await store.acquire(['u2']); // evicts u1, not u0
    expect(seen).toEqual(['u0', 'u1', 'u2']);
    const s = store.stats();
    expect([s.hits, s.misses, s.evictions, s.composes, s.composedCount]).toEqual([1, 3, 1, 3, 2]);
    expect(s.composedBytes).toBe(2 * entryBytes);
    expect(s.pinnedCount).toBe(1);
    await expectSameAsFresh(info, l2.prepared('u2'), adapters.get('u2')!, 'u2 in reused arrays');
    l2.release();
    const l0b = await store.acquire(['u0']); // still composed: the same arrays as before
    expect(arraysOf(l0b.prepared('u0')).every((a, i) => a === u0Arrays[i])).toBe(true);
    l0b.release();
    // u3 evicts u2 (least recent now): u3's factors are u2's arrays, not new ones
    const l2b = await store.acquire(['u2']);
    const u2Arrays = arraysOf(l2b.prepared('u2'));
    l2b.release();
    (await store.acquire(['u0'])).release();
    const l3 = await store.acquire(['u3']);
    const u3Arrays = arraysOf(l3.prepared('u3'));
    expect(u3Arrays.length).toBe(u2Arrays.length);
    expect(u3Arrays.every((a, i) => a === u2Arrays[i])).toBe(true);
    await expectSameAsFresh(info, l3.prepared('u3'), adapters.get('u3')!, 'u3 in u2’s arrays');
    l3.release();
    expect(store.stats().composedBytes).toBe(2 * entryBytes);
  });

  it('the cpu backend composes into reused arrays (its own pairs storage): the same bits as its fresh compose', async () => {
    const cpu = createCpuBackend();
    const probe = new AdapterStore(info, { maxStoredBytes: 2 ** 30, maxComposedBytes: 2 ** 30, backend: cpu });
    probe.add('u0', adapters.get('u0')!);
    (await probe.acquire(['u0'])).release();
    const cpuEntry = probe.stats().composedBytes; // the backend may keep its scratch after the pairs
    expect(cpuEntry).toBeGreaterThanOrEqual(entryBytes);
    const store = new AdapterStore(info, { maxStoredBytes: 2 ** 30, maxComposedBytes: cpuEntry, backend: cpu });
    for (const [id, a] of adapters) store.add(id, a);
    let first: Float32Array[] | undefined;
    for (const id of ['u0', 'u1', 'u2']) {
      const lease = await store.acquire([id]);
      const got = lease.prepared(id);
      first ??= arraysOf(got);
      expect(arraysOf(got).every((a, i) => a === first![i])).toBe(true); // one buffer, composed into again and again
      const want = await prepareAdapter(info, id, adapters.get(id)!, cpu);
      for (const [path, w] of want.lowRank) {
        // tolerance: none (same backend, same inputs)
        expect(Array.from(got.lowRank.get(path)!.A), `${id} ${path} A`).toEqual(Array.from(w.A));
        expect(Array.from(got.lowRank.get(path)!.B), `${id} ${path} B`).toEqual(Array.from(w.B));
      }
      lease.release();
    }
    expect(store.stats()).toMatchObject({ evictions: 2, composes: 3, composedBytes: cpuEntry });
  });

  it('pinned entries are never evicted: with every entry pinned, a miss is a ResourceLimitError', async () => {
    const store = storeOf(2);
    const l0 = await store.acquire(['u0']);
    const l1 = await store.acquire(['u1']);
    const before = arraysOf(l0.prepared('u0')).map((a) => a.slice());
    const err = await store.acquire(['u2']).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ResourceLimitError);
    expect((err as ResourceLimitError).limit).toBe('maxComposedBytes');
    expect((err as Error).message).toMatch(/"u2".*2 pinned/);
    expect(store.stats().composedCount).toBe(2);
    expect(arraysOf(l0.prepared('u0')).map((a) => Array.from(a))).toEqual(before.map((a) => Array.from(a)));
    l1.release();
    const l2 = await store.acquire(['u2']); // u1 is free now
    expect(() => l1.prepared('u1')).toThrow(/was released/);
    await expectSameAsFresh(info, l0.prepared('u0'), adapters.get('u0')!, 'u0 pinned throughout');
    l0.release();
    l2.release();
    l0.release(); // idempotent
    expect(store.stats().pinnedCount).toBe(0);
  });

  it('a batch whose adapters cannot all fit fails whole, pinning nothing', async () => {
    const store = storeOf(2);
    const err = await store.acquire(['u0', 'u1', 'u2']).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ResourceLimitError);
    expect(store.stats().pinnedCount).toBe(0);
    const lease = await store.acquire(['u2', null, 'u2']);
    expect(lease.ids).toEqual(['u2']);
    expect(lease.rows).toEqual(['u2', null, 'u2']);
    lease.release();
  });

  it('remove (or replace) while leased: the lease keeps valid factors; they are freed at release', async () => {
    const store = storeOf(2);
    const lease = await store.acquire(['u0']);
    expect(store.remove('u0')).toBe(true);
    expect(store.has('u0')).toBe(false);
    await expect(store.acquire(['u0'])).rejects.toThrow(/no adapter "u0" is stored/);
    expect(store.stats()).toMatchObject({ composedCount: 0, composedBytes: entryBytes, pinnedCount: 1 });
    // the removed entry's bytes still count: only one more entry fits, and the removed one is not evictable
    const l1 = await store.acquire(['u1']);
    await expect(store.acquire(['u2'])).rejects.toThrow(ResourceLimitError);
    await expectSameAsFresh(info, lease.prepared('u0'), adapters.get('u0')!, 'removed while leased');
    lease.release();
    expect(store.stats()).toMatchObject({ composedCount: 1, composedBytes: entryBytes, pinnedCount: 1 });
    // replacing u1 while leased: new acquires get the new adapter, the old lease the old factors
    store.add('u1', adapters.get('u4')!);
    const fresh = await store.acquire(['u1']);
    await expectSameAsFresh(info, fresh.prepared('u1'), adapters.get('u4')!, 'replaced u1');
    await expectSameAsFresh(info, l1.prepared('u1'), adapters.get('u1')!, 'old u1 under its lease');
    l1.release();
    fresh.release();
    expect(store.stats()).toMatchObject({ composedCount: 1, composedBytes: entryBytes, pinnedCount: 0 });
  });

  it('topk models: entries are the reloaded top-k feeds, budgeted and evicted the same way', async () => {
    const store = new AdapterStore(topkInfo, { maxStoredBytes: 2 ** 30, maxComposedBytes: 2 ** 30 });
    for (const [id, a] of adapters) store.add(id, a);
    const lease = await store.acquire(['u0', 'u1']);
    const one = store.stats().composedBytes / 2;
    await expectSameAsFresh(topkInfo, lease.prepared('u1'), adapters.get('u1')!, 'topk u1');
    lease.release();
    const small = new AdapterStore(topkInfo, { maxStoredBytes: 2 ** 30, maxComposedBytes: one });
    for (const [id, a] of adapters) small.add(id, a);
    (await small.acquire(['u0'])).release();
    const l1 = await small.acquire(['u1']);
    expect(small.stats()).toMatchObject({ evictions: 1, composedCount: 1, composedBytes: one });
    await expectSameAsFresh(topkInfo, l1.prepared('u1'), adapters.get('u1')!, 'topk u1 after eviction');
    l1.release();
  });
});
