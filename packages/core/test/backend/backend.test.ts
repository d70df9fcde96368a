import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, ConfigError, UnsupportedError } from '../../src/errors.js';
import {
  defineBackend,
  referenceBackend,
  requireKernel,
  resolveBackend,
  type Backend,
} from '../../src/backend/index.js';
import { KERNEL_CONTRACTS, KERNEL_NAMES, composeLowRank, deltaWeight, topkAdmixture } from '../../src/kernels/index.js';
import { f32 } from '../../src/tensor/index.js';

/** A backend whose probes record the order in which they ran. */
function probe(
  name: string,
  log: string[],
  opts: { available?: boolean | 'throw' | 'async-false' | 'weird'; init?: 'ok' | 'throw' } = {},
): Backend {
  const { available = true, init } = opts;
  return defineBackend({
    name,
    precision: 'f32',
    isAvailable: () => {
      log.push(`${name}.isAvailable`);
      if (available === 'throw') throw new Error('no GPU adapter');
      if (available === 'async-false') return Promise.resolve(false);
      if (available === 'weird') return 'yes' as unknown as boolean;
      return available;
    },
    ...(init === undefined
      ? {}
      : {
          init: async () => {
            log.push(`${name}.init`);
            if (init === 'throw') throw new TypeError('shader compile failed');
          },
        }),
    kernels: { deltaWeight },
  });
}

describe('defineBackend', () => {
  it('returns a frozen value whose kernels cannot be changed afterwards', () => {
    const kernels: { deltaWeight?: typeof deltaWeight } = { deltaWeight };
    const b = defineBackend({ name: 'x', precision: 'bf16', isAvailable: () => true, kernels });
    delete kernels.deltaWeight;
    expect(b.kernels.deltaWeight).toBe(deltaWeight);
    expect(Object.isFrozen(b)).toBe(true);
    expect(Object.isFrozen(b.kernels)).toBe(true);
    expect(b.precision).toBe('bf16');
  });

  it('rejects an empty name, an unknown precision, unknown kernel names and non-functions', () => {
    const ok = { name: 'x', precision: 'f32' as const, isAvailable: () => true, kernels: {} };
    expect(() => defineBackend({ ...ok, name: ' ' })).toThrow(ConfigError);
    expect(() => defineBackend({ ...ok, precision: 'f64' as never })).toThrow(
      /precision must be one of f32, bf16, f16/,
    );
    expect(() => defineBackend({ ...ok, kernels: { compose: deltaWeight } as never })).toThrow(
      /"compose" is not a kernel name/,
    );
    expect(() => defineBackend({ ...ok, kernels: { merge: 3 } as never })).toThrow(/kernel "merge" must be a function/);
    expect(() => defineBackend({ ...ok, isAvailable: undefined as never })).toThrow(/isAvailable must be a function/);
  });
});

describe('resolveBackend', () => {
  it('returns the first available backend and probes nothing after it', async () => {
    const log: string[] = [];
    const chosen = await resolveBackend([
      probe('a', log, { available: false }),
      probe('b', log, { init: 'ok' }),
      probe('c', log),
    ]);
    expect(chosen.name).toBe('b');
    expect(log).toEqual(['a.isAvailable', 'b.isAvailable', 'b.init']);
  });

  it('falls back past a throwing probe, an async false and a failing init', async () => {
    const log: string[] = [];
    const chosen = await resolveBackend([
      probe('gpu', log, { available: 'throw' }),
      probe('wasm', log, { available: 'async-false' }),
      probe('onnx', log, { init: 'throw' }),
      referenceBackend,
    ]);
    expect(chosen).toBe(referenceBackend);
    expect(log).toEqual(['gpu.isAvailable', 'wasm.isAvailable', 'onnx.isAvailable', 'onnx.init']);
  });

  it('throws one BackendUnavailableError listing every attempt and its reason, in order', async () => {
    const log: string[] = [];
    const err = await resolveBackend([
      probe('gpu', log, { available: 'throw' }),
      probe('wasm', log, { available: false }),
      probe('odd', log, { available: 'weird' }),
      probe('onnx', log, { init: 'throw' }),
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    const e = err as BackendUnavailableError;
    expect(e.attempts).toEqual([
      { backend: 'gpu', reason: 'isAvailable() threw Error: no GPU adapter' },
      { backend: 'wasm', reason: 'isAvailable() returned false' },
      { backend: 'odd', reason: 'isAvailable() returned yes' },
      { backend: 'onnx', reason: 'init() failed: TypeError: shader compile failed' },
    ]);
    expect(e.message).toBe(
      'no backend available; tried 4:\n' +
        '  - gpu: isAvailable() threw Error: no GPU adapter\n' +
        '  - wasm: isAvailable() returned false\n' +
        '  - odd: isAvailable() returned yes\n' +
        '  - onnx: init() failed: TypeError: shader compile failed',
    );
  });

  it('says so when the candidate list is empty', async () => {
    await expect(resolveBackend([])).rejects.toThrow(/the candidate list is empty/);
  });
});

describe('requireKernel', () => {
  it('returns the kernel, or an UnsupportedError naming backend, kernel and what it has', () => {
    const b = defineBackend({
      name: 'tiny',
      precision: 'f32',
      isAvailable: () => true,
      kernels: { deltaWeight, topkAdmixture },
    });
    expect(requireKernel(b, 'deltaWeight')).toBe(deltaWeight);
    expect(() => requireKernel(b, 'merge')).toThrow(UnsupportedError);
    expect(() => requireKernel(b, 'merge')).toThrow(
      'backend "tiny" does not implement kernel "merge"; it implements: topkAdmixture, deltaWeight',
    );
  });
});

describe('referenceBackend and the kernel contracts', () => {
  it('is available, float32, and implements every kernel of the contract', async () => {
    expect(await referenceBackend.isAvailable()).toBe(true);
    expect(referenceBackend.precision).toBe('f32');
    for (const name of KERNEL_NAMES) expect(typeof requireKernel(referenceBackend, name)).toBe('function');
  });

  it('runs a kernel through the backend value like a direct call', async () => {
    const compose = requireKernel(referenceBackend, 'composeLowRank');
    const args = {
      logitsA: f32([1, 1, 2], [1, 0]),
      logitsB: f32([1, 1, 2], [0, 1]),
      bank: f32([2, 2], [1, 2, 3, 4]),
      k: 1,
    };
    const viaBackend = await compose(args);
    expect(Array.from(viaBackend.A.data)).toEqual(Array.from(composeLowRank(args).A.data));
    expect(Array.from(viaBackend.B.data)).toEqual([3, 4]);
  });

  it('declares, for every kernel, an accuracy per precision for each of its outputs', () => {
    for (const name of KERNEL_NAMES) {
      const c = KERNEL_CONTRACTS[name];
      expect(c.name).toBe(name);
      for (const p of ['f32', 'bf16', 'f16'] as const) {
        const keys = Object.keys(c.accuracy[p]);
        expect(keys.length).toBeGreaterThan(0);
        for (const key of keys) {
          const a = c.accuracy[p][key]!;
          expect(a === 'exact' || (a.atol >= 0 && a.rtol >= 0)).toBe(true);
        }
        // every declared output has an accuracy (merge/unmerge are keyed by weight dtype instead)
        if (name !== 'merge' && name !== 'unmerge') expect(keys.sort()).toEqual(c.outputs.map((o) => o.name).sort());
      }
    }
  });
});
