/**
 * `@vblora/webgpu`: VB-LoRA kernels in WGSL for WebGPU, in browsers and in Node (Dawn, via `@vblora/webgpu/node`).
 *
 * @example
 * ```ts
 * import { createWebGpuRuntime } from '@vblora/webgpu';
 * const rt = await createWebGpuRuntime(); // navigator.gpu
 * const bank = rt.upload(bankHost);
 * const { A, B } = await rt.composeLowRank({ logitsA: rt.upload(la), logitsB: rt.upload(lb), bank, k: 2 });
 * ```
 * @packageDocumentation
 */
// Kept in the emitted index.d.ts (`preserve`): the published types name GPUDevice, GPUBuffer, … from @webgpu/types.
/// <reference types="@webgpu/types" preserve="true" />
export { DeviceLostError, GpuTensorError, GpuExecutionError } from './errors.js';
export { GpuTensor } from './runtime/gpu-tensor.js';
export type { GpuChunk } from './runtime/gpu-tensor.js';
export { GpuContext } from './runtime/gpu-context.js';
export type { WebGpuRuntimeOptions, RuntimeStats } from './runtime/gpu-context.js';
export type { GpuDType, GpuFloat } from './shaders/wgsl-half.js';
export type { GpuTensors } from './runtime/gpu-tensors.js';
export type { DeviceRequest } from './runtime/acquire-device.js';
export { WebGpuRuntime, createWebGpuRuntime } from './webgpu-runtime.js';
export type { GpuTopkForm, GpuLogitsSource, GpuTopkAdmixtureResult, GpuLowRankPair } from './ops/compose.js';
export type { GpuDeltaWeightArgs, GpuMergeArgs } from './ops/delta-merge.js';
export type { GpuLinearArgs, GpuAdapterForwardArgs, GpuLinearWithAdapterArgs } from './ops/forward.js';
export { GpuAdapterSet } from './ops/mixed-batch.js';
export type { GpuLowRankAdapter, GpuMixedBatchForwardArgs } from './ops/mixed-batch.js';
export type { GpuAdmixtureGrads, GpuComposeGrads } from './ops/backward.js';
export { createWebGpuBackend, backendRuntime } from './backend/webgpu-backend.js';
export { createBackend } from './backend/create-backend.js';
export type { WebGpuBackendOptions } from './backend/webgpu-backend.js';
export { composeAdapterOnGpu } from './adapter/compose-adapter-gpu.js';
export type { ComposeAdapterOnGpuOptions } from './adapter/compose-adapter-gpu.js';
export { ToyLlamaGpu, createToyLlamaGpu } from './models/toy-llama.js';
export type { ToyLlamaAdapterInput } from './models/toy-llama.js';
export type { GpuModelAdapter } from './models/adapter-scope.js';
export { toyLlamaLayout } from './models/toy-llama-layout.js';
export type { ToyLlamaSizes, ToyLlamaLayout, ToyLinearSpec } from './models/toy-llama-layout.js';
