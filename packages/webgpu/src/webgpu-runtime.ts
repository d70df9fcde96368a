/**
 * `WebGpuRuntime`: the GPU-resident API. Tensors stay on the GPU between calls — compose once, forward many
 * times — and come back to the host only through `GpuTensor.read()`.
 * @module
 */
import type {
  AdmixFromTopkArgs,
  AdmixtureBackwardArgs,
  ComposeBackwardArgs,
  ComposeLowRankArgs,
  KernelSet,
  TopkAdmixtureArgs,
} from '@vblora/core';
import { GpuContext, type WebGpuRuntimeOptions } from './runtime/gpu-context.js';
import type { GpuTensors } from './runtime/gpu-tensors.js';
import {
  gpuAdmixFromTopk,
  gpuComposeLowRank,
  gpuTopkAdmixture,
  type GpuLowRankPair,
  type GpuTopkAdmixtureResult,
} from './ops/compose.js';
import type { GpuTensor } from './runtime/gpu-tensor.js';
import { gpuDeltaWeight, gpuMerge, gpuUnmerge, type GpuDeltaWeightArgs, type GpuMergeArgs } from './ops/delta-merge.js';
import type { GpuFloat } from './shaders/wgsl-half.js';
import {
  gpuAdapterForward,
  gpuLinear,
  gpuLinearWithAdapter,
  type GpuAdapterForwardArgs,
  type GpuLinearArgs,
  type GpuLinearWithAdapterArgs,
} from './ops/forward.js';
import {
  gpuAdmixtureBackward,
  gpuComposeBackward,
  type GpuAdmixtureGrads,
  type GpuComposeGrads,
} from './ops/backward.js';
import {
  gpuMixedBatchForward,
  gpuPackAdapters,
  type GpuAdapterSet,
  type GpuLowRankAdapter,
  type GpuMixedBatchForwardArgs,
} from './ops/mixed-batch.js';

/** A WebGPU device with every VB-LoRA kernel on GPU tensors. Create it with {@link createWebGpuRuntime}. */
export class WebGpuRuntime extends GpuContext implements Partial<KernelSet<GpuTensors>> {
  /** Top-k indices, softmax weights and mixed sub-vectors of every logits row (SPEC §4.1). */
  topkAdmixture(args: TopkAdmixtureArgs<GpuTensors>): Promise<GpuTopkAdmixtureResult> {
    return gpuTopkAdmixture(this, args);
  }

  /** Σ_j weights[..., j] · bank[indices[..., j]] for a top-k form. */
  admixFromTopk(args: AdmixFromTopkArgs<GpuTensors>): Promise<GpuTensor<'f32'>> {
    return gpuAdmixFromTopk(this, args);
  }

  /** A (r, in) and B (out, r) of one layer from its logits or top-k forms (SPEC §4.2). */
  composeLowRank(args: ComposeLowRankArgs<GpuTensors>): Promise<GpuLowRankPair> {
    return gpuComposeLowRank(this, args);
  }

  /** ΔW = B·A (out, in), or (in, out) for fan_in_fan_out layers (SPEC §4.4). */
  deltaWeight(args: GpuDeltaWeightArgs): Promise<GpuTensor<'f32'>> {
    return gpuDeltaWeight(this, args);
  }

  /** W' = round_dtype(f32(W) + B·A), a new tensor unless `inPlace` (SPEC §4.4). */
  merge<D extends GpuFloat>(args: GpuMergeArgs<D>): Promise<GpuTensor<D>> {
    return gpuMerge(this, args);
  }

  /** W' = round_dtype(f32(W) − B·A), a new tensor unless `inPlace`. */
  unmerge<D extends GpuFloat>(args: GpuMergeArgs<D>): Promise<GpuTensor<D>> {
    return gpuUnmerge(this, args);
  }

  /** Base layer forward: y = x·Wᵀ + b (x·W + b for fan_in_fan_out), in x's dtype. */
  linear<D extends GpuFloat>(args: GpuLinearArgs<D>): Promise<GpuTensor<D>> {
    return gpuLinear(this, args);
  }

  /** Unmerged adapter forward: y = baseOut + (drop(x)·Aᵀ)·Bᵀ, in x's dtype (SPEC §4.3). */
  adapterForward<D extends GpuFloat>(args: GpuAdapterForwardArgs<D>): Promise<GpuTensor<D>> {
    return gpuAdapterForward(this, args);
  }

  /** Base layer and adapter fused: adapterForward(linear(x)) in one tiled pass over the output. */
  linearWithAdapter<D extends GpuFloat>(args: GpuLinearWithAdapterArgs<D>): Promise<GpuTensor<D>> {
    return gpuLinearWithAdapter(this, args);
  }

  /** Packs adapters once for {@link WebGpuRuntime.mixedBatchForward}. */
  packAdapters(adapters: readonly GpuLowRankAdapter[]): GpuAdapterSet {
    return gpuPackAdapters(this, adapters);
  }

  /** Adapter forward with a different adapter per row (−1: none). */
  mixedBatchForward<D extends GpuFloat>(args: GpuMixedBatchForwardArgs<D>): Promise<GpuTensor<D>> {
    return gpuMixedBatchForward(this, args);
  }

  /** Gradients of `topkAdmixture(...).vectors` w.r.t. logits and bank, given dL/dvectors. */
  admixtureBackward(args: AdmixtureBackwardArgs<GpuTensors>): Promise<GpuAdmixtureGrads> {
    return gpuAdmixtureBackward(this, args);
  }

  /** Gradients of `composeLowRank` w.r.t. both logits and the bank, given dL/dA and dL/dB. */
  composeBackward(args: ComposeBackwardArgs<GpuTensors>): Promise<GpuComposeGrads> {
    return gpuComposeBackward(this, args);
  }
}

/**
 * Opens a WebGPU device and returns a runtime on it.
 * @throws {BackendUnavailableError} when there is no WebGPU entry point or no adapter.
 * @example
 * ```ts
 * const rt = await createWebGpuRuntime(); // browsers: navigator.gpu; Node: { gpu: nodeGpu() }
 * const bank = rt.upload(bankHost);
 * const { A, B } = await rt.composeLowRank({ logitsA: rt.upload(la), logitsB: rt.upload(lb), bank, k: 2 });
 * const a = await A.read();
 * ```
 */
export async function createWebGpuRuntime(options: WebGpuRuntimeOptions = {}): Promise<WebGpuRuntime> {
  const { device, adapterName } = await GpuContext.open(options);
  return new WebGpuRuntime(device, adapterName, options);
}
