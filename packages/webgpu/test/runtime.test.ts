import {
  BackendUnavailableError,
  compareTensors,
  composeLowRank,
  F32_TOL,
  resolveBackend,
  ShapeError,
  tensor,
} from '@vblora/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backendRuntime,
  createWebGpuBackend,
  createWebGpuRuntime,
  DeviceLostError,
  GpuTensorError,
  type WebGpuRuntime,
} from '../src/index.js';
import { uniform } from './helpers/data.js';
import { openRuntime, testGpu } from './helpers/gpu.js';

let rt: WebGpuRuntime | undefined;
beforeAll(async () => {
  rt = await openRuntime();
});
afterAll(() => rt?.dispose());

/** A WebGPU entry point whose requestAdapter finds nothing, like a machine without a driver. */
const noAdapterGpu = { requestAdapter: async () => null } as unknown as GPU;

describe('device acquisition', () => {
  it('says clearly when there is no adapter (BackendUnavailableError); the backend reports unavailable', async () => {
    await expect(createWebGpuRuntime({ gpu: noAdapterGpu })).rejects.toThrow(BackendUnavailableError);
    await expect(createWebGpuRuntime({ gpu: noAdapterGpu })).rejects.toThrow(/found no GPU adapter/);
    const backend = createWebGpuBackend({ gpu: noAdapterGpu });
    expect(await backend.isAvailable()).toBe(false);
    const err = await resolveBackend([backend]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as BackendUnavailableError).attempts[0]?.backend).toBe('webgpu');
  });

  it('without any entry point (no navigator.gpu in Node) the error says how to get one', async () => {
    await expect(createWebGpuRuntime()).rejects.toThrow(/nodeGpu\(\)/);
  });
});

describe('GPU-resident tensors', () => {
  it('compose once, forward many times: results stay on the GPU, buffers return to the pool', async (ctx) => {
    if (rt === undefined) return ctx.skip('no WebGPU adapter');
    const bankH = uniform([32, 8], 1);
    const la = uniform([2, 3, 32], 2, 5);
    const lb = uniform([4, 2, 32], 3, 5);
    const bank = rt.upload(bankH);
    const logitsA = rt.upload(la);
    const logitsB = rt.upload(lb);
    const before = rt.stats();
    const { A, B } = await rt.composeLowRank({ logitsA, logitsB, bank, k: 2 });
    const want = composeLowRank({ logitsA: la, logitsB: lb, bank: bankH, k: 2 });
    for (let i = 0; i < 5; i++) {
      const x = rt.upload(uniform([3, 24], 10 + i));
      const base = rt.upload(uniform([3, 32], 20 + i));
      const y = await rt.adapterForward({ x, baseOut: base, A, B });
      expect(y.shape).toEqual([3, 32]);
      for (const t of [x, base, y]) t.dispose();
    }
    expect(compareTensors(await A.read(), want.A, F32_TOL).ok).toBe(true);
    A.dispose();
    B.dispose();
    const after = rt.stats();
    expect(after.liveBuffers).toBe(before.liveBuffers);
    expect(after.reused).toBeGreaterThan(before.reused);
    for (const t of [bank, logitsA, logitsB]) t.dispose();
  });

  it('the backend leaves no live buffer behind, call after call', async (ctx) => {
    if (rt === undefined) return ctx.skip('no WebGPU adapter');
    const backend = createWebGpuBackend({ gpu: testGpu() });
    await backend.init?.();
    const runtime = await backendRuntime(backend);
    const args = { logitsA: uniform([2, 2, 16], 1), logitsB: uniform([3, 2, 16], 2), bank: uniform([16, 4], 3), k: 2 };
    await backend.kernels.composeLowRank!(args);
    const live = runtime.stats().liveBuffers;
    for (let i = 0; i < 4; i++) await backend.kernels.composeLowRank!(args);
    await expect(backend.kernels.composeLowRank!({ ...args, k: 17 })).rejects.toThrow(ShapeError);
    expect(runtime.stats().liveBuffers).toBe(live);
    runtime.dispose();
  });

  it('a disposed tensor, or one from another runtime, is refused with GpuTensorError', async (ctx) => {
    if (rt === undefined) return ctx.skip('no WebGPU adapter');
    const t = rt.upload(uniform([4], 1));
    t.dispose();
    t.dispose(); // idempotent
    await expect(t.read()).rejects.toThrow(GpuTensorError);
    const other = await openRuntime({ device: rt.device });
    const foreign = other!.upload(uniform([2, 2], 1));
    await expect(rt.deltaWeight({ A: foreign, B: rt.upload(uniform([2, 2], 2)) })).rejects.toThrow(
      /another WebGPU runtime/,
    );
    other!.dispose();
  });

  it('checks shapes and dtypes like the reference (ShapeError)', async (ctx) => {
    if (rt === undefined) return ctx.skip('no WebGPU adapter');
    const A = rt.upload(uniform([2, 5], 1));
    const B = rt.upload(uniform([3, 4], 2));
    await expect(rt.deltaWeight({ A, B })).rejects.toThrow(/B \(3, 4\) must have r = 2 columns/);
    const f64 = tensor('f64', [1], Float64Array.of(1)) as unknown as Parameters<WebGpuRuntime['upload']>[0];
    expect(() => rt!.upload(f64)).toThrow(ShapeError);
    A.dispose();
    B.dispose();
  });
});

describe('device loss', () => {
  it('a lost device makes the runtime throw DeviceLostError; the backend opens a new device', async (ctx) => {
    if (rt === undefined) return ctx.skip('no WebGPU adapter');
    const backend = createWebGpuBackend({ gpu: testGpu() });
    const args = { A: uniform([2, 6], 1), B: uniform([5, 2], 2) };
    const first = await backend.kernels.deltaWeight!(args);
    const runtime = await backendRuntime(backend);
    const lost: string[] = [];
    runtime.device.lost.then(
      (info) => lost.push(info.reason),
      () => undefined,
    );
    runtime.device.destroy(); // what a driver reset looks like to the page
    await runtime.device.lost;
    expect(runtime.isLost).toBe(true);
    expect(() => runtime.upload(uniform([2], 1))).toThrow(DeviceLostError);
    const again = await backend.kernels.deltaWeight!(args);
    expect(Array.from(again.data)).toEqual(Array.from(first.data));
    const fresh = await backendRuntime(backend);
    expect(fresh).not.toBe(runtime);
    fresh.dispose();
  });
});
