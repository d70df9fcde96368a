/// <reference types="@webgpu/types" />
/**
 * Finding a WebGPU adapter and opening a device with the largest buffer limits it offers, or saying clearly why
 * not with a `BackendUnavailableError`.
 * @module
 */
import { BackendUnavailableError } from '@vblora/core';

/** Where to get a device from. */
export interface DeviceRequest {
  /** The WebGPU entry point: `navigator.gpu` by default; in Node, `nodeGpu()` from `@vblora/webgpu/node`. */
  readonly gpu?: GPU | undefined;
  /** Adapter preference, passed to `requestAdapter`. */
  readonly powerPreference?: GPUPowerPreference | undefined;
}

/** An opened device with a short description of its adapter. */
export interface AcquiredDevice {
  readonly device: GPUDevice;
  /** Vendor / architecture / description of the adapter, e.g. `google swiftshader`. */
  readonly adapterName: string;
}

const NAME = 'webgpu';

function fail(reason: string, cause?: unknown): never {
  throw new BackendUnavailableError(`WebGPU is not available: ${reason}`, [{ backend: NAME, reason }], {
    cause,
  });
}

/** The default entry point: `navigator.gpu` when the page has one. */
export function defaultGpu(): GPU | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  return nav?.gpu;
}

/** Vendor / architecture / description of an adapter's (or a device's) info. */
export function describeInfo(info: GPUAdapterInfo | undefined): string {
  const parts = [info?.vendor, info?.architecture, info?.description].filter((s) => s !== undefined && s !== '');
  return parts.length > 0 ? parts.join(' ') : 'unknown adapter';
}

/**
 * Requests an adapter and a device, asking for the adapter's own maximum buffer sizes (the defaults are 128 MiB
 * bindings and 256 MiB buffers) so fewer tensors need splitting.
 * @throws {BackendUnavailableError} when there is no WebGPU entry point, no adapter, or the device request fails.
 */
export async function acquireDevice(request: DeviceRequest = {}): Promise<AcquiredDevice> {
  const gpu = request.gpu ?? defaultGpu();
  if (gpu === undefined) {
    fail(
      'no WebGPU entry point (navigator.gpu is missing: use a WebGPU-enabled browser over https or localhost, ' +
        "or in Node pass { gpu: nodeGpu() } from '@vblora/webgpu/node')",
    );
  }
  let adapter: GPUAdapter | null;
  try {
    const opts: GPURequestAdapterOptions =
      request.powerPreference === undefined ? {} : { powerPreference: request.powerPreference };
    adapter = await gpu.requestAdapter(opts);
  } catch (e) {
    fail(`requestAdapter() threw ${e instanceof Error ? e.message : String(e)}`, e);
  }
  if (adapter === null) {
    fail(
      'requestAdapter() found no GPU adapter (no driver, or WebGPU disabled; in Node, is a Vulkan driver installed?)',
    );
  }
  const lim = adapter.limits;
  try {
    const device = await adapter.requestDevice({
      requiredLimits: {
        maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
        maxBufferSize: lim.maxBufferSize,
        maxStorageBuffersPerShaderStage: lim.maxStorageBuffersPerShaderStage,
      },
    });
    return { device, adapterName: describeInfo((adapter as { info?: GPUAdapterInfo }).info) };
  } catch (e) {
    fail(`requestDevice() failed: ${e instanceof Error ? e.message : String(e)}`, e);
  }
}
