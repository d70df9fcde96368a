/// <reference types="@webgpu/types" />
/**
 * A pool of GPU buffers keyed by usage and size bucket, so that repeated kernel calls (compose once, forward many
 * times) reuse memory instead of allocating and freeing GPU buffers each time.
 * @internal
 * @module
 */

/** Counters of a {@link BufferPool}, for leak checks and diagnostics. */
export interface BufferPoolStats {
  /** Buffers handed out and not yet released. */
  readonly liveBuffers: number;
  /** Bytes of the live buffers (bucket sizes). */
  readonly liveBytes: number;
  /** Released buffers kept for reuse. */
  readonly pooledBuffers: number;
  /** Bytes of the pooled buffers. */
  readonly pooledBytes: number;
  /** `createBuffer` calls so far. */
  readonly created: number;
  /** Acquisitions served from the pool. */
  readonly reused: number;
}

/**
 * Size bucket of a request: at least 256 bytes, rounded up to 1/8 of its power of two, so that a reused buffer
 * wastes at most 12.5 % while similar sizes (one layer's weights, another's) share buckets.
 */
export function bucketSize(bytes: number): number {
  const min = Math.max(256, bytes);
  const step = Math.max(256, 2 ** Math.floor(Math.log2(min)) / 8);
  return Math.ceil(min / step) * step;
}

/** Reuses released buffers of the same usage and size bucket; drops the oldest when over `maxPooledBytes`. */
export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private readonly order: { key: string; buffer: GPUBuffer }[] = [];
  private readonly live = new Map<GPUBuffer, string>();
  private pooledBytes = 0;
  private liveBytes = 0;
  private created = 0;
  private reused = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly maxPooledBytes: number,
  ) {}

  /** A buffer of at least `bytes` bytes with exactly `usage`. */
  acquire(bytes: number, usage: number): GPUBuffer {
    const size = bucketSize(bytes);
    const key = `${usage}:${size}`;
    const list = this.free.get(key);
    let buffer = list?.pop();
    if (buffer !== undefined) {
      this.reused++;
      this.pooledBytes -= size;
      const at = this.order.findIndex((e) => e.buffer === buffer);
      if (at >= 0) this.order.splice(at, 1);
    } else {
      buffer = this.device.createBuffer({ size, usage });
      this.created++;
    }
    this.live.set(buffer, key);
    this.liveBytes += size;
    return buffer;
  }

  /** Gives a buffer back for reuse. Work already submitted that uses it still completes: the queue is ordered. */
  release(buffer: GPUBuffer): void {
    const key = this.live.get(buffer);
    if (key === undefined) return; // released twice, or not ours: nothing to do
    this.live.delete(buffer);
    const size = buffer.size;
    this.liveBytes -= size;
    let list = this.free.get(key);
    if (list === undefined) {
      list = [];
      this.free.set(key, list);
    }
    list.push(buffer);
    this.order.push({ key, buffer });
    this.pooledBytes += size;
    this.trim(this.maxPooledBytes);
  }

  /** Destroys pooled buffers, oldest first, until at most `maxBytes` stay pooled. */
  trim(maxBytes: number): void {
    while (this.pooledBytes > maxBytes && this.order.length > 0) {
      const { key, buffer } = this.order.shift()!;
      const list = this.free.get(key);
      const at = list?.indexOf(buffer) ?? -1;
      if (list !== undefined && at >= 0) list.splice(at, 1);
      this.pooledBytes -= buffer.size;
      buffer.destroy();
    }
  }

  /** Destroys every buffer, live or pooled (used when the runtime is disposed or its device is lost). */
  destroyAll(): void {
    this.trim(0);
    for (const buffer of this.live.keys()) buffer.destroy();
    this.live.clear();
    this.liveBytes = 0;
  }

  /** Current counters. */
  stats(): BufferPoolStats {
    return {
      liveBuffers: this.live.size,
      liveBytes: this.liveBytes,
      pooledBuffers: this.order.length,
      pooledBytes: this.pooledBytes,
      created: this.created,
      reused: this.reused,
    };
  }
}
