/// <reference types="@webgpu/types" />
/**
 * `Encoder`: records the dispatches of one kernel call into a single command buffer. Each dispatch gets its own
 * parameter block (a `writeBuffer` is applied before the whole submit, so two dispatches must never share one),
 * and every temporary buffer goes back to the pool once the work is submitted — later writes into a reused
 * buffer are ordered after this submit by the queue.
 * @internal
 * @module
 */
import { TENSOR_USAGE, UNIFORM_USAGE } from './gpu-flags.js';

/** The runtime services an encoder needs. */
export interface EncoderHost {
  readonly device: GPUDevice;
  readonly maxWorkgroupsPerDim: number;
  acquire(bytes: number, usage: number): GPUBuffer;
  releaseBuffer(b: GPUBuffer): void;
}

/** A buffer binding: the whole buffer, or a byte window of it. */
export type Binding = GPUBuffer | { readonly buffer: GPUBuffer; readonly offset: number; readonly size: number };

/** Records compute dispatches; `submit()` sends them and recycles temporaries. */
export class Encoder {
  private readonly enc: GPUCommandEncoder;
  private pass: GPUComputePassEncoder | undefined;
  private readonly temps: GPUBuffer[] = [];
  private submitted = false;

  constructor(private readonly host: EncoderHost) {
    this.enc = host.device.createCommandEncoder();
  }

  /**
   * Dispatches `pipeline` over `groups` workgroups (folded into a 2-D grid past the per-dimension limit; shaders
   * unfold it with `LINEAR_WORKGROUP` and skip the overhang). Binding 0 is the parameter block, 1.. the buffers.
   */
  dispatch(pipeline: GPUComputePipeline, params: Uint32Array, buffers: readonly Binding[], groups: number): void {
    if (groups === 0) return;
    const device = this.host.device;
    const bytes = Math.max(16, Math.ceil((params.length * 4) / 16) * 16);
    const uniform = this.temp(bytes, UNIFORM_USAGE);
    device.queue.writeBuffer(uniform, 0, params.buffer, params.byteOffset, params.byteLength);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniform, size: bytes } }];
    buffers.forEach((b, i) => {
      const resource = 'destroy' in b ? { buffer: b } : { buffer: b.buffer, offset: b.offset, size: b.size };
      entries.push({ binding: i + 1, resource });
    });
    const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    const max = this.host.maxWorkgroupsPerDim;
    const x = Math.min(groups, max);
    const y = Math.ceil(groups / x);
    if (y > max) throw new RangeError(`dispatch of ${groups} workgroups exceeds ${max}² (split the work)`);
    this.pass ??= this.enc.beginComputePass();
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(x, y);
  }

  /** Zero-fills a buffer range (bytes, multiples of 4). */
  clear(buffer: GPUBuffer, offset = 0, size?: number): void {
    this.endPass();
    this.enc.clearBuffer(buffer, offset, size);
  }

  /** Copies bytes between buffers (multiples of 4). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, size: number): void {
    this.endPass();
    this.enc.copyBufferToBuffer(src, srcOffset, dst, dstOffset, size);
  }

  /** A pooled buffer that lives until this encoder is submitted. */
  temp(bytes: number, usage: number = TENSOR_USAGE): GPUBuffer {
    const b = this.host.acquire(bytes, usage);
    this.temps.push(b);
    return b;
  }

  /** Submits the recorded work and recycles the temporaries. Idempotent. */
  submit(): void {
    if (this.submitted) return;
    this.submitted = true;
    this.endPass();
    this.host.device.queue.submit([this.enc.finish()]);
    for (const b of this.temps) this.host.releaseBuffer(b);
    this.temps.length = 0;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = undefined;
  }
}
