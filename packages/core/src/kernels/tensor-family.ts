/**
 * Tensor families: the type parameter of the kernel argument and result types. Core's kernels take and return
 * {@link HostTensor}s; a backend whose tensors live elsewhere (WebGPU's `GpuTensor`) instantiates the same types
 * with its own family instead of copying them, so the two cannot drift apart.
 *
 * A family names its tensor type in terms of `this['dtype']`, TypeScript's stand-in for a type constructor:
 * {@link TensorOf} fills the dtype in.
 * @module
 */
import type { DType } from '../tensor/dtype.js';
import type { HostTensor } from '../tensor/host-tensor.js';

/** A family of tensor types, one per dtype, and the type of an integer index input. */
export interface TensorFamily {
  /** Filled in by {@link TensorOf}; leave it `unknown`. */
  readonly dtype: unknown;
  /** The family's tensor of dtype `this['dtype']`. */
  readonly tensor: unknown;
  /** The tensor type an index input (top-k indices) has: any integer dtype on the host, i32 on a GPU. */
  readonly index: unknown;
}

/** The tensor of family `F` with dtype `D` (e.g. `TensorOf<HostTensors, 'f32'>` is `HostTensor<'f32'>`). */
export type TensorOf<F extends TensorFamily, D extends DType> = (F & { readonly dtype: D })['tensor'];

/** The index tensor type of family `F`. */
export type IndexTensorOf<F extends TensorFamily> = F['index'];

/** Core's family: {@link HostTensor}; index inputs may have any integer dtype (checked at run time). */
export interface HostTensors extends TensorFamily {
  readonly tensor: HostTensor<this['dtype'] & DType>;
  readonly index: HostTensor;
}
