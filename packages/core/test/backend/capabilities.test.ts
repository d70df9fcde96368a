import { describe, expect, it } from 'vitest';
import {
  allocatePairs,
  BackendDefinitionError,
  composeAdapter,
  defineBackend,
  referenceBackend,
  referenceKernelCalls,
  reloadTopkWeights,
  ShapeError,
  tensor,
  type BackendCapabilities,
  type KernelSet,
  type PairsLayer,
} from '../../src/index.js';
import { smallAdapter } from '../helpers/small-adapter.js';

const withCaps = (capabilities: BackendCapabilities) => defineBackend({ ...referenceBackend, capabilities });
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('defineBackend: capabilities', () => {
  it('gives none when the spec has none, and copies the given ones frozen, methods bound', () => {
    expect(
      defineBackend({ name: 'plain', precision: 'f32', isAvailable: () => true, kernels: {} }).capabilities,
    ).toEqual({});
    class Storage {
      made = 0;
      allocate(bytes: number): ArrayBuffer {
        this.made++;
        return new ArrayBuffer(bytes);
      }
    }
    const storage = new Storage();
    const b = withCaps({ pairsStorage: storage });
    expect(Object.isFrozen(b.capabilities)).toBe(true);
    expect(Object.isFrozen(b.capabilities!.pairsStorage)).toBe(true);
    expect(b.capabilities!.pairsStorage!.allocate(8, [], false)!.byteLength).toBe(8);
    expect(storage.made).toBe(1); // called on the instance: its prototype method, `this` kept
  });

  it('refuses an unknown capability, one that is not an object, a missing method, a bad maxRegionBytes', () => {
    const bad: [unknown, RegExp][] = [
      [{ gpuMerge: {} }, /"gpuMerge" is not a capability \(pairsStorage, parallelMerge, composeAll\)/],
      [{ pairsStorage: 3 }, /capability pairsStorage must be an object/],
      [{ topkReload: {} }, /"topkReload" is not a capability/],
      [{ composeAll: { compose: () => true } }, /capability composeAll needs a function run/],
      [{ parallelMerge: { open: () => undefined } }, /parallelMerge.maxRegionBytes must be a number of bytes ≥ 0/],
      [{ parallelMerge: { open: () => undefined, maxRegionBytes: -1 } }, /got -1/],
      ['all', /capabilities must be an object/],
    ];
    for (const [capabilities, message] of bad) {
      const make = () => withCaps(capabilities as BackendCapabilities);
      expect(make).toThrow(BackendDefinitionError);
      expect(make).toThrow(message);
    }
  });
});

describe('allocatePairs asks the backend for pairs storage', () => {
  const adapter = smallAdapter(3, 'topk', undefined, 4);

  it('passes the bytes, the layers as compose sees them and `shared`, and lays the pairs out in what it gives', () => {
    const calls: { bytes: number; layers: readonly PairsLayer[]; shared: boolean }[] = [];
    const backend = withCaps({
      pairsStorage: {
        allocate: (bytes, layers, shared) => {
          calls.push({ bytes, layers, shared });
          return new ArrayBuffer(bytes + 64);
        },
      },
    });
    const plain = allocatePairs(adapter);
    const pairs = allocatePairs(adapter, { backend });
    const bytes = [...plain.values()].reduce((n, p) => n + p.A.data.byteLength + p.B.data.byteLength, 0);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.bytes).toBe(bytes);
    expect(calls[0]!.shared).toBe(false);
    const { num_vectors: nv, vector_length: vl, topk: k } = adapter.config;
    expect(calls[0]!.layers).toEqual(
      [...adapter.modules.values()].map((m) => {
        const { A, B } = plain.get(m.path)!;
        return {
          rowsA: (A.shape[0]! * A.shape[1]!) / vl,
          rowsB: (B.shape[0]! * B.shape[1]!) / vl,
          r: A.shape[0],
          k,
          nv,
          vl,
          denseA: m.a.kind === 'logits',
          denseB: m.b.kind === 'logits',
        };
      }),
    );
    const buffer = [...pairs.values()][0]!.A.data.buffer;
    expect(buffer.byteLength).toBe(bytes + 64);
    for (const [path, p] of pairs) {
      expect(p.A.data.buffer).toBe(buffer);
      expect(p.A.shape).toEqual(plain.get(path)!.A.shape);
      expect(p.B.shape).toEqual(plain.get(path)!.B.shape);
    }
  });

  it('falls back to plain arrays when the storage gives undefined, and refuses a buffer too small', () => {
    const none = withCaps({ pairsStorage: { allocate: () => undefined } });
    const shared = allocatePairs(adapter, { backend: none, shared: true });
    expect([...shared.values()][0]!.A.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    const small = withCaps({ pairsStorage: { allocate: (bytes) => new ArrayBuffer(bytes - 4) } });
    expect(() => allocatePairs(adapter, { backend: small })).toThrow(ShapeError);
    expect(() => allocatePairs(adapter, { backend: small })).toThrow(/gave \d+ bytes for \d+ bytes of pairs/);
  });
});

describe("the top-k reload asks the backend's topkReload kernel (tolerance: bit-identical)", () => {
  it("runs the kernel when the backend has one, core's plain loops (not the counted reference) otherwise", async () => {
    const seen: number[] = [];
    const topkReload: KernelSet['topkReload'] = (args) => {
      seen.push(args.k);
      return referenceBackend.kernels.topkReload!(args);
    };
    const backend = defineBackend({ ...referenceBackend, kernels: { ...referenceBackend.kernels, topkReload } });
    const without = defineBackend({
      ...referenceBackend,
      kernels: { composeLowRank: referenceBackend.kernels.composeLowRank! },
    });
    const w = tensor('f32', [3, 1], Float32Array.from([0.75, 0.5, 0.1]));
    const idx = tensor('i32', [3, 2], Int32Array.from([0, 1, 2, 3, 4, 5]));
    const calls = referenceKernelCalls('topkReload');
    const plain = reloadTopkWeights(idx, w, 2);
    const plainWithout = await reloadTopkWeights(idx, w, 2, without);
    expect(seen).toEqual([]);
    expect(referenceKernelCalls('topkReload')).toBe(calls);
    const asked = await reloadTopkWeights(idx, w, 2, backend);
    expect(seen).toEqual([2]);
    expect(bits(asked.weights.data)).toEqual(bits(plain.weights.data));
    expect(bits(plainWithout.weights.data)).toEqual(bits(plain.weights.data));
    // composeAdapter reloads a top-k adapter's factors with its backend's kernel (two per module)
    const adapter = smallAdapter(5, 'topk', undefined, 2);
    seen.length = 0;
    const viaBackend = await composeAdapter(adapter, { backend });
    expect(seen).toHaveLength(2 * adapter.modules.size);
    const reference = await composeAdapter(adapter, { backend: without });
    for (const [path, p] of viaBackend) {
      expect(bits(p.A.data)).toEqual(bits(reference.get(path)!.A.data));
      expect(bits(p.B.data)).toEqual(bits(reference.get(path)!.B.data));
    }
  });

  it('awaits a kernel that answers with a Promise, and reports the rows it clamped for k ≥ 3', async () => {
    const topkReload: KernelSet['topkReload'] = async (args) => referenceBackend.kernels.topkReload!(args);
    const backend = defineBackend({ ...referenceBackend, kernels: { ...referenceBackend.kernels, topkReload } });
    // row 1 stores weights summing above 1 in float32: its restored weight is clamped at 0 (a repaired row)
    const w = tensor('f32', [2, 2], Float32Array.from([0.5, 0.25, 0.75, 0.375]));
    const idx = tensor('i32', [2, 3], Int32Array.from([0, 1, 2, 3, 4, 5]));
    const plain = reloadTopkWeights(idx, w, 3);
    const asked = await reloadTopkWeights(idx, w, 3, backend);
    expect(plain.repairedRows).toEqual([1]);
    expect(asked.repairedRows).toEqual([1]);
    expect(Array.from(asked.indices.data)).toEqual(Array.from(plain.indices.data));
    expect(bits(asked.weights.data)).toEqual(bits(plain.weights.data));
  });
});
