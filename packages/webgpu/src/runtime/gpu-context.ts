/// <reference types="@webgpu/types" />
/**
 * `GpuContext`: one GPU device with its buffer pool, compiled pipelines, uploads and readbacks, and device-loss
 * tracking. Kernels (src/ops) record their work through it; `WebGpuRuntime` adds the kernel methods on top.
 * @module
 */
import { formatShape, numel, type HostTensor } from '@vblora/core';
import { DeviceLostError, GpuExecutionError, GpuTensorError } from '../errors.js';
import type { GpuDType } from '../shaders/wgsl-half.js';
import { acquireDevice, describeInfo, type DeviceRequest } from './acquire-device.js';
import { BufferPool, type BufferPoolStats } from './buffer-pool.js';
import { planChunks } from './chunk-plan.js';
import { Encoder } from './encoder.js';
import { MAP_READ_MODE, READBACK_USAGE, TENSOR_USAGE } from './gpu-flags.js';
import { GpuTensor, gpuDTypeBytes, ownerOf, rowElemsOf, type GpuChunk } from './gpu-tensor.js';
import { bytesOf, fromBytes, requireGpuDType } from './host-data.js';

/** Compiled pipelines per device: runtimes sharing a device share them (compiling is slow on software drivers). */
const PIPELINES = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();

/** Options of a runtime: where the device comes from, limits and pooling. */
export interface WebGpuRuntimeOptions extends DeviceRequest {
  /**
   * Use this device instead of requesting one (e.g. share it with a renderer or another runtime). The runtime
   * then never destroys it; `dispose()` only frees the runtime's own buffers.
   */
  readonly device?: GPUDevice;
  /** Cap on bytes per buffer binding, below the device's own limit; tensors above it are split by rows. */
  readonly maxBindingBytes?: number;
  /** Bytes of released buffers kept for reuse (default 256 MiB). */
  readonly poolBytes?: number;
  /** Called once if the device is lost for any reason other than `dispose()`. */
  readonly onDeviceLost?: (info: { readonly reason: string; readonly message: string }) => void;
}

/** Counters of a runtime: its buffer pool and compiled pipelines. */
export interface RuntimeStats extends BufferPoolStats {
  /** Compiled compute pipelines (one per kernel variant). */
  readonly pipelines: number;
}

/** The GPU device and the services every kernel uses. */
export class GpuContext {
  /** The WebGPU device. */
  readonly device: GPUDevice;
  /** Adapter description, e.g. `google swiftshader`. */
  readonly adapterName: string;
  /** Bytes one storage binding may span here: the device limit, or the smaller `maxBindingBytes`. */
  readonly maxBindingBytes: number;
  /** @internal */
  readonly maxWorkgroupsPerDim: number;
  private readonly pool: BufferPool;
  private readonly pipelines: Map<string, Promise<GPUComputePipeline>>;
  private readonly ownsDevice: boolean;
  private lostInfo: { reason: string; message: string } | undefined;
  private dummyBuffer: GPUBuffer | undefined;
  private readonly gpuErrors: string[] = [];

  /** @internal Use `createWebGpuRuntime`. */
  constructor(device: GPUDevice, adapterName: string, options: WebGpuRuntimeOptions) {
    this.device = device;
    this.ownsDevice = options.device === undefined;
    let cache = PIPELINES.get(device);
    if (cache === undefined) {
      cache = new Map();
      PIPELINES.set(device, cache);
    }
    this.pipelines = cache;
    this.adapterName = adapterName;
    const lim = device.limits;
    const cap = Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize, options.maxBindingBytes ?? Infinity);
    this.maxBindingBytes = Math.floor(cap / 4) * 4;
    this.maxWorkgroupsPerDim = lim.maxComputeWorkgroupsPerDimension;
    this.pool = new BufferPool(device, options.poolBytes ?? 256 * 2 ** 20);
    device.addEventListener('uncapturederror', (ev) => {
      if (this.gpuErrors.length < 8) this.gpuErrors.push((ev as GPUUncapturedErrorEvent).error.message);
    });
    void device.lost.then((info) => {
      this.lostInfo = { reason: String(info.reason), message: info.message };
      this.pool.destroyAll();
      if (info.reason !== 'destroyed') options.onDeviceLost?.(this.lostInfo);
    });
  }

  /** @internal Opens a device. */
  static async open(options: WebGpuRuntimeOptions): Promise<{ device: GPUDevice; adapterName: string }> {
    if (options.device !== undefined) {
      const info = (options.device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
      return { device: options.device, adapterName: describeInfo(info) };
    }
    return acquireDevice(options);
  }

  /** True once the device is lost or the runtime disposed; every later call throws {@link DeviceLostError}. */
  get isLost(): boolean {
    return this.lostInfo !== undefined;
  }

  /** @internal Throws {@link DeviceLostError} when the device is gone. */
  assertAlive(): void {
    if (this.lostInfo !== undefined) {
      const { reason, message } = this.lostInfo;
      throw new DeviceLostError(
        `the WebGPU device was lost (${reason}${message ? `: ${message}` : ''}); create a new runtime and upload ` +
          'the tensors again',
        reason,
      );
    }
  }

  /** @internal Throws unless `t` belongs to this runtime and is alive. */
  own<T extends GpuTensor>(t: T, arg: string): T {
    if (ownerOf(t) !== this) throw new GpuTensorError(`${arg} was made by another WebGPU runtime`);
    void t.chunks; // throws when disposed
    return t;
  }

  /** Uploads a host tensor (f32, bf16, f16 or i32), split by rows if it exceeds the binding limit. */
  upload<D extends GpuDType>(host: HostTensor<D>, arg = 'tensor'): GpuTensor<D> {
    this.assertAlive();
    requireGpuDType(host, arg);
    const t = this.empty(host.dtype, host.shape);
    const bytes = bytesOf(host);
    const rowBytes = t.rowElems * gpuDTypeBytes(host.dtype);
    for (const c of t.chunks) {
      const n = c.rows * rowBytes;
      const view = bytes.subarray(c.firstRow * rowBytes, c.firstRow * rowBytes + n);
      if (n % 4 === 0) this.device.queue.writeBuffer(c.buffer, 0, view);
      else {
        const padded = new Uint8Array(c.bytes); // odd number of half elements: pad the last word
        padded.set(view);
        this.device.queue.writeBuffer(c.buffer, 0, padded);
      }
    }
    return t;
  }

  /** A GPU tensor with undefined contents (kernels write it). */
  empty<D extends GpuDType>(dtype: D, shape: readonly number[]): GpuTensor<D> {
    this.assertAlive();
    const rowElems = rowElemsOf(shape);
    const rows = rowElems === 0 ? 0 : numel(shape) / rowElems;
    const rowBytes = rowElems * gpuDTypeBytes(dtype);
    const chunks: GpuChunk[] = planChunks(rows, rowBytes, this.maxBindingBytes).map((r) => {
      const bytes = Math.max(4, Math.ceil((r.rows * rowBytes) / 4) * 4);
      return { ...r, bytes, buffer: this.pool.acquire(bytes, TENSOR_USAGE) };
    });
    return new GpuTensor(this, dtype, shape, chunks);
  }

  /** A zero-filled GPU tensor. */
  zeros<D extends GpuDType>(dtype: D, shape: readonly number[]): GpuTensor<D> {
    const t = this.empty(dtype, shape);
    const enc = this.encoder();
    for (const c of t.chunks) enc.clear(c.buffer, 0, c.bytes);
    enc.submit();
    return t;
  }

  /** @internal Reads a tensor back (TensorOwner). */
  async readTensor(t: GpuTensor): Promise<HostTensor> {
    this.assertAlive();
    this.own(t, 'tensor');
    const rowBytes = t.rowElems * gpuDTypeBytes(t.dtype);
    const out = new Uint8Array(t.size * gpuDTypeBytes(t.dtype));
    const enc = this.device.createCommandEncoder();
    const staging = t.chunks.map((c) => {
      const s = this.pool.acquire(c.bytes, READBACK_USAGE);
      enc.copyBufferToBuffer(c.buffer, 0, s, 0, c.bytes);
      return s;
    });
    this.device.queue.submit([enc.finish()]);
    try {
      await Promise.all(staging.map((s) => s.mapAsync(MAP_READ_MODE)));
    } catch (e) {
      this.assertAlive();
      throw new GpuExecutionError(`reading a GPU tensor ${formatShape(t.shape)} back failed`, { cause: e });
    }
    t.chunks.forEach((c, i) => {
      const s = staging[i]!;
      const n = c.rows * rowBytes;
      out.set(new Uint8Array(s.getMappedRange(0, c.bytes), 0, n), c.firstRow * rowBytes);
      s.unmap();
      this.pool.release(s);
    });
    this.throwGpuErrors();
    return fromBytes(t.dtype, t.shape, out);
  }

  /** @internal Throws GpuExecutionError if the device reported errors since the last check. */
  throwGpuErrors(): void {
    if (this.gpuErrors.length === 0) return;
    const msgs = this.gpuErrors.splice(0);
    throw new GpuExecutionError(`the GPU reported ${msgs.length} error(s): ${msgs.join(' | ')}`);
  }

  /** @internal A compiled pipeline for WGSL `source()`, cached under `key`; compile errors become GpuExecutionError. */
  pipeline(key: string, source: () => string): Promise<GPUComputePipeline> {
    let p = this.pipelines.get(key);
    if (p === undefined) {
      p = this.compile(key, source());
      this.pipelines.set(key, p);
      p.catch(() => this.pipelines.delete(key));
    }
    return p;
  }

  private async compile(key: string, code: string): Promise<GPUComputePipeline> {
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code, label: key });
    const pipeline = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const err = await this.device.popErrorScope();
    if (err !== null) {
      const info = await module.getCompilationInfo();
      const lines = info.messages.map((m) => `${m.type} ${m.lineNum}:${m.linePos} ${m.message}`).join('; ');
      throw new GpuExecutionError(`kernel ${key} failed to compile: ${err.message}${lines ? ` (${lines})` : ''}`);
    }
    return pipeline;
  }

  /** @internal A new command recorder. */
  encoder(): Encoder {
    this.assertAlive();
    return new Encoder(this);
  }

  /** @internal A small zero buffer for bindings a kernel variant does not read (WebGPU needs every binding). */
  dummy(): GPUBuffer {
    this.dummyBuffer ??= this.device.createBuffer({ size: 16, usage: TENSOR_USAGE });
    return this.dummyBuffer;
  }

  /** @internal A pooled buffer (for encoders). */
  acquire(bytes: number, usage: number): GPUBuffer {
    return this.pool.acquire(bytes, usage);
  }

  /** @internal Returns a buffer to the pool (TensorOwner). */
  releaseBuffer(b: GPUBuffer): void {
    if (this.lostInfo === undefined) this.pool.release(b);
  }

  /** Waits until all submitted GPU work has finished (for timing). */
  async sync(): Promise<void> {
    this.assertAlive();
    await this.device.queue.onSubmittedWorkDone();
  }

  /** Buffer and pipeline counters (live buffers should return to their baseline once tensors are disposed). */
  stats(): RuntimeStats {
    return { ...this.pool.stats(), pipelines: this.pipelines.size };
  }

  /** Frees every GPU buffer and destroys the device (unless it was passed in); the runtime is unusable afterwards. */
  dispose(): void {
    if (this.lostInfo === undefined) this.lostInfo = { reason: 'destroyed', message: 'runtime disposed' };
    this.pool.destroyAll();
    this.dummyBuffer?.destroy();
    if (this.ownsDevice) this.device.destroy();
  }
}
