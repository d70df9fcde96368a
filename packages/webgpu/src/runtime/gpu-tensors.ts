/**
 * `GpuTensors`: the tensor family of the WebGPU runtime, so its kernel argument and result types are core's
 * generic ones (`MergeArgs<D, GpuTensors>`, `KernelSet<GpuTensors>`, …) on {@link GpuTensor}s.
 * @module
 */
import type { TensorFamily } from '@vblora/core';
import type { GpuDType } from '../shaders/wgsl-half.js';
import type { GpuTensor } from './gpu-tensor.js';

/** GPU tensors of every dtype the runtime holds; index inputs are i32. */
export interface GpuTensors extends TensorFamily {
  readonly tensor: GpuTensor<this['dtype'] & GpuDType>;
  readonly index: GpuTensor<'i32'>;
}
