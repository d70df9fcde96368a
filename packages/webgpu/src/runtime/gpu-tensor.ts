/// <reference types="@webgpu/types" />
/**
 * `GpuTensor`: a tensor that lives in GPU memory between kernel calls (compose once, forward many times). It is
 * read back only when asked (`read()`) and must be released with `dispose()`, which returns its buffers to the
 * runtime's pool.
 * @module
 */
import { formatShape, numel, type HostTensor } from '@vblora/core';
import { GpuTensorError } from '../errors.js';
import type { GpuDType } from '../shaders/wgsl-half.js';
import type { RowRange } from './chunk-plan.js';

/** One GPU buffer of a tensor, holding rows [firstRow, firstRow + rows). */
export interface GpuChunk extends RowRange {
  readonly buffer: GPUBuffer;
  /** Bytes of tensor data in the buffer (the buffer itself may be larger: pool buckets). */
  readonly bytes: number;
}

/** What a tensor needs from the runtime that made it. @internal */
export interface TensorOwner {
  readTensor(t: GpuTensor): Promise<HostTensor>;
  releaseBuffer(b: GPUBuffer): void;
}

// Kept off the class so that the public type shows no runtime internals.
const OWNERS = new WeakMap<GpuTensor, TensorOwner>();

/** The runtime that made a tensor. @internal */
export function ownerOf(t: GpuTensor): TensorOwner | undefined {
  return OWNERS.get(t);
}

/** Bytes per element of a GPU dtype. */
export function gpuDTypeBytes(dtype: GpuDType): number {
  return dtype === 'f32' || dtype === 'i32' ? 4 : 2;
}

/** Number of elements in one row of a shape: its last dimension (1 for a scalar). */
export function rowElemsOf(shape: readonly number[]): number {
  return shape.length === 0 ? 1 : shape[shape.length - 1]!;
}

/** A tensor resident on the GPU, possibly split into several buffers by rows (see the package docs on limits). */
export class GpuTensor<D extends GpuDType = GpuDType> {
  /** Element dtype; bf16/f16 are packed two per 32-bit word. */
  readonly dtype: D;
  /** Shape, C order. */
  readonly shape: readonly number[];
  /** Elements per row (the last dimension). */
  readonly rowElems: number;
  /** Rows (the product of the leading dimensions). */
  readonly rows: number;
  private chunkList: readonly GpuChunk[];
  private released = false;

  /** @internal Made by the runtime (`upload`, kernels); users never construct tensors directly. */
  constructor(owner: TensorOwner, dtype: D, shape: readonly number[], chunks: readonly GpuChunk[]) {
    OWNERS.set(this, owner);
    this.dtype = dtype;
    this.shape = [...shape];
    this.rowElems = rowElemsOf(shape);
    this.rows = this.rowElems === 0 ? 0 : numel(shape) / this.rowElems;
    this.chunkList = chunks;
  }

  /** Number of elements. */
  get size(): number {
    return numel(this.shape);
  }

  /** True after {@link GpuTensor.dispose}. */
  get disposed(): boolean {
    return this.released;
  }

  /** @internal The buffers, checked to be alive. */
  get chunks(): readonly GpuChunk[] {
    if (this.released) {
      throw new GpuTensorError(`a ${this.dtype} GPU tensor ${formatShape(this.shape)} was used after dispose()`);
    }
    return this.chunkList;
  }

  /** The single chunk of a tensor that fits one binding. @internal */
  single(what: string): GpuChunk {
    const chunks = this.chunks;
    if (chunks.length !== 1) {
      throw new GpuTensorError(
        `${what} ${formatShape(this.shape)} spans ${chunks.length} buffers (over the device's binding limit); ` +
          'this kernel needs it in one buffer',
      );
    }
    return chunks[0]!;
  }

  /** Copies the tensor back to host memory. Nothing is read back unless this is called. */
  async read(): Promise<HostTensor<D>> {
    void this.chunks; // throws when disposed
    return (await OWNERS.get(this)!.readTensor(this)) as HostTensor<D>;
  }

  /** Returns the GPU memory to the runtime's pool; later use throws {@link GpuTensorError}. Idempotent. */
  dispose(): void {
    if (this.released) return;
    this.released = true;
    const owner = OWNERS.get(this)!;
    for (const c of this.chunkList) owner.releaseBuffer(c.buffer);
    this.chunkList = [];
  }
}
