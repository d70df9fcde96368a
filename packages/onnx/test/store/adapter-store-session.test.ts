/**
 * AdapterStore feeding AdapterSession: a mixed batch (an adapter id per row) run with a lease equals, row by row,
 * runs of each adapter alone loaded the usual way (`loadAdapter`); a lease of one adapter gives the same bits as
 * the loaded adapter; after a slot is recomposed for another adapter, runs see the new factors (no stale feeds).
 */
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdapterError, type HostTensor, type Tolerance, type VBLoRAAdapter } from '@vblora/core';
import {
  AdapterSession,
  AdapterStore,
  fromOrtTensor,
  toOrtTensor,
  type AdapterLease,
  type HotSwapInjectionInfo,
} from '@vblora/onnx';
import { decoderFeeds, TINY } from '../helpers/decoder-graphs.js';
import { rowsOf } from '../helpers/decoder-runs.js';
import { expectClose } from '../helpers/golden.js';
import { injectedDecoder, topkAdapter } from './store-fixture.js';

/** Rows of one batched run against rows of other runs: same math, possibly another matmul blocking. */
const ROWS: Tolerance = { atol: 1e-7, rtol: 1e-6 };

const BATCH = 3;
const feeds: Record<string, ort.Tensor> = {};
for (const [k, v] of Object.entries(decoderFeeds(TINY, 'f32', BATCH, 4, 2))) feeds[k] = toOrtTensor(v);

const sessions: AdapterSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
});

const a = topkAdapter(61);
const b = topkAdapter(62, 2); // another rank: padded in the mixed run
const c = topkAdapter(63);

async function setup(variant: 'lowrank' | 'topk') {
  const { model, info } = await injectedDecoder(variant);
  const session = await AdapterSession.create(model);
  sessions.push(session);
  for (const [id, adapter] of [
    ['a', a],
    ['b', b],
    ['c', c],
  ] as const)
    await session.loadAdapter(id, adapter);
  return { session, info };
}

const hostOutputs = (out: Record<string, ort.Tensor>): Record<string, HostTensor> =>
  Object.fromEntries(Object.entries(out).map(([k, v]) => [k, fromOrtTensor(v)]));

async function run(
  session: AdapterSession,
  options: Parameters<AdapterSession['run']>[1],
): Promise<Record<string, HostTensor>> {
  return hostOutputs(await session.run(feeds, options));
}

function storeFor(info: HotSwapInjectionInfo, adapters: Record<string, VBLoRAAdapter>, budget = 2 ** 30) {
  const store = new AdapterStore(info, { maxStoredBytes: 2 ** 30, maxComposedBytes: budget });
  for (const [id, adapter] of Object.entries(adapters)) store.add(id, adapter);
  return store;
}

describe.each(['lowrank', 'topk'] as const)('AdapterSession.run with an AdapterStore lease (%s model)', (variant) => {
  let session: AdapterSession;
  let info: HotSwapInjectionInfo;
  beforeAll(async () => {
    ({ session, info } = await setup(variant));
  });

  it('a mixed batch [a, b, none] equals, row by row, each adapter run alone', async () => {
    const store = storeFor(info, { a, b, c });
    const lease = await store.acquire(['a', 'b', null]);
    let mixed: Record<string, HostTensor>;
    try {
      mixed = await run(session, { lease });
    } finally {
      lease.release();
    }
    const alone = {
      a: await run(session, { adapter: 'a' }),
      b: await run(session, { adapter: 'b' }),
      base: await run(session, {}),
    };
    const rows = [alone.a, alone.b, alone.base];
    for (const name of Object.keys(mixed)) {
      rows.forEach((want, i) => {
        expectClose(rowsOf(mixed[name]!, i, i + 1), rowsOf(want[name]!, i, i + 1), ROWS, `${name} row ${i}`);
      });
    }
    // the adapters really differ in these outputs (the comparison could have caught a swap)
    expect(Array.from(rowsOf(alone.a['logits']!, 0, 1).data as Float32Array)).not.toEqual(
      Array.from(rowsOf(alone.b['logits']!, 0, 1).data as Float32Array),
    );
  });

  it('a lease of one adapter gives the loaded adapter’s bits; rows default to the lease’s', async () => {
    const store = storeFor(info, { a, b, c });
    const lease = await store.acquire(['c', 'c', 'c']);
    const viaLease = await run(session, { lease });
    const viaAdapter = await run(session, { lease, adapter: 'c' });
    lease.release();
    const loaded = await run(session, { adapter: 'c' });
    for (const name of Object.keys(loaded)) {
      // tolerance: none for the whole-batch adapter (same feeds, same graph); rows of 'c' in a rows run: ROWS
      expect(Array.from(viaAdapter[name]!.data as Float32Array), name).toEqual(
        Array.from(loaded[name]!.data as Float32Array),
      );
      expectClose(viaLease[name]!, loaded[name]!, ROWS, `${name} (rows c, c, c)`);
    }
  });

  it('runs see an id’s current factors: after eviction and recompose, and after the id is replaced', async () => {
    const probe = storeFor(info, { a });
    (await probe.acquire(['a'])).release();
    const store = storeFor(info, { a, c }, probe.stats().composedBytes); // room for one
    const want = {
      a: await run(session, { adapter: 'a' }),
      c: await run(session, { adapter: 'c' }),
      base: await run(session, {}),
    };
    const check = async (id: 'a' | 'c', as: 'a' | 'c', label: string) => {
      for (const rows of [
        [id, id, id],
        [id, null, null],
      ] as const) {
        const lease: AdapterLease = await store.acquire(rows);
        const got = await run(session, { lease });
        lease.release();
        rows.forEach((r, i) => {
          const w = r === null ? want.base : want[as];
          expectClose(rowsOf(got['logits']!, i, i + 1), rowsOf(w['logits']!, i, i + 1), ROWS, `${label} row ${i}`);
        });
      }
    };
    await check('a', 'a', 'a');
    await check('c', 'c', 'c (in a’s arrays)');
    await check('a', 'a', 'a again');
    store.add('a', c); // same id, other factors
    await check('a', 'c', 'a replaced by c');
    expect(store.stats().evictions).toBe(2);
  });

  it('a released lease, a lease without the id, or one from another model’s store: AdapterError', async () => {
    const store = storeFor(info, { a, b });
    const lease = await store.acquire(['a', null, null]);
    await expect(session.run(feeds, { lease, rows: ['a', 'b', null] })).rejects.toThrow(
      /the lease holds no adapter "b"/,
    );
    lease.release();
    await expect(session.run(feeds, { lease })).rejects.toThrow(/was released/);
    const other = (await injectedDecoder(variant === 'lowrank' ? 'topk' : 'lowrank')).info;
    const foreign = await storeFor(other, { a }).acquire(['a', null, null]);
    const err = await session.run(feeds, { lease: foreign }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AdapterError);
    expect((err as Error).message).toMatch(/a store of another model/);
    foreign.release();
  });
});
