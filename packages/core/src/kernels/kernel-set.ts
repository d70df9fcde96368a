/**
 * The kernel contract every backend implements (in part): one typed function per kernel, each taking one
 * arguments object and returning its result or a Promise of it. A backend leaves out what it does not implement.
 * @module
 */
import type { AdapterForwardArgs } from './adapter-forward.js';
import type { AdmixtureBackwardArgs, AdmixtureGrads, ComposeBackwardArgs, ComposeGrads } from './admixture-backward.js';
import { ADMIXTURE_BACKWARD_CONTRACT, COMPOSE_BACKWARD_CONTRACT } from './admixture-backward.js';
import { ADAPTER_FORWARD_CONTRACT } from './adapter-forward.js';
import { COMPOSE_LOW_RANK_CONTRACT, type ComposeLowRankArgs, type LowRankPair } from './compose-low-rank.js';
import type { KernelContract, WeightDType } from './contract.js';
import type { HostTensors, TensorFamily, TensorOf } from './tensor-family.js';
import { DELTA_WEIGHT_CONTRACT, type DeltaWeightArgs } from './delta-weight.js';
import { LINEAR_CONTRACT, type LinearArgs } from './linear.js';
import { MERGE_CONTRACT, UNMERGE_CONTRACT, type MergeArgs } from './merge.js';
import { MIXED_BATCH_FORWARD_CONTRACT, type MixedBatchForwardArgs } from './mixed-batch-forward.js';
import {
  ADMIX_FROM_TOPK_CONTRACT,
  TOPK_ADMIXTURE_CONTRACT,
  type AdmixFromTopkArgs,
  type TopkAdmixtureArgs,
  type TopkAdmixtureResult,
} from './topk-admixture.js';
import {
  LOGITS_FROM_TOPK_CONTRACT,
  TOPK_WEIGHTS_FOR_SAVE_CONTRACT,
  type LogitsFromTopkArgs,
  type TopkWeightsForSaveArgs,
  type TopkWeightsForSaveResult,
} from './topk-from-checkpoint.js';
import { TOPK_RELOAD_CONTRACT, type TopkReloadArgs, type TopkReloadResult } from './topk-reload.js';

/** A value or a Promise of it: GPU backends answer asynchronously, the reference synchronously. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Every kernel of the backend contract, with its argument and result types, for tensors of family `F`: core's
 * `HostTensor`s by default; `KernelSet<GpuTensors>` is the same contract on WebGPU's tensors.
 */
export interface KernelSet<F extends TensorFamily = HostTensors> {
  /** See `topkAdmixture`. */
  topkAdmixture(args: TopkAdmixtureArgs<F>): MaybePromise<TopkAdmixtureResult<F>>;
  /** See `admixFromTopk`. */
  admixFromTopk(args: AdmixFromTopkArgs<F>): MaybePromise<TensorOf<F, 'f32'>>;
  /** See `logitsFromTopk`. */
  logitsFromTopk(args: LogitsFromTopkArgs<F>): MaybePromise<TensorOf<F, 'f32'>>;
  /** See `topkWeightsForSave`. */
  topkWeightsForSave(args: TopkWeightsForSaveArgs<F>): MaybePromise<TopkWeightsForSaveResult<F>>;
  /** See `topkReload`. */
  topkReload(args: TopkReloadArgs<F>): MaybePromise<TopkReloadResult<F>>;
  /** See `composeLowRank`. */
  composeLowRank(args: ComposeLowRankArgs<F>): MaybePromise<LowRankPair<F>>;
  /** See `deltaWeight`. */
  deltaWeight(args: DeltaWeightArgs<F>): MaybePromise<TensorOf<F, 'f32'>>;
  /** See `merge`. */
  merge<D extends WeightDType>(args: MergeArgs<D, F>): MaybePromise<TensorOf<F, D>>;
  /** See `unmerge`. */
  unmerge<D extends WeightDType>(args: MergeArgs<D, F>): MaybePromise<TensorOf<F, D>>;
  /** See `linear`. */
  linear<D extends WeightDType>(args: LinearArgs<D, F>): MaybePromise<TensorOf<F, D>>;
  /** See `adapterForward`. */
  adapterForward<D extends WeightDType>(args: AdapterForwardArgs<D, F>): MaybePromise<TensorOf<F, D>>;
  /** See `mixedBatchForward`. */
  mixedBatchForward<D extends WeightDType>(args: MixedBatchForwardArgs<D, F>): MaybePromise<TensorOf<F, D>>;
  /** See `admixtureBackward`. */
  admixtureBackward(args: AdmixtureBackwardArgs<F>): MaybePromise<AdmixtureGrads<F>>;
  /** See `composeBackward`. */
  composeBackward(args: ComposeBackwardArgs<F>): MaybePromise<ComposeGrads<F>>;
}

/** Name of one kernel. */
export type KernelName = keyof KernelSet;

/** The contract of every kernel, keyed by name. */
export const KERNEL_CONTRACTS: { readonly [K in KernelName]: KernelContract<K> } = Object.freeze({
  topkAdmixture: TOPK_ADMIXTURE_CONTRACT,
  admixFromTopk: ADMIX_FROM_TOPK_CONTRACT,
  logitsFromTopk: LOGITS_FROM_TOPK_CONTRACT,
  topkWeightsForSave: TOPK_WEIGHTS_FOR_SAVE_CONTRACT,
  topkReload: TOPK_RELOAD_CONTRACT,
  composeLowRank: COMPOSE_LOW_RANK_CONTRACT,
  deltaWeight: DELTA_WEIGHT_CONTRACT,
  merge: MERGE_CONTRACT,
  unmerge: UNMERGE_CONTRACT,
  linear: LINEAR_CONTRACT,
  adapterForward: ADAPTER_FORWARD_CONTRACT,
  mixedBatchForward: MIXED_BATCH_FORWARD_CONTRACT,
  admixtureBackward: ADMIXTURE_BACKWARD_CONTRACT,
  composeBackward: COMPOSE_BACKWARD_CONTRACT,
});

/** All kernel names, in contract order. */
export const KERNEL_NAMES: readonly KernelName[] = Object.freeze(Object.keys(KERNEL_CONTRACTS) as KernelName[]);

/** True when `name` is one of {@link KERNEL_NAMES}. */
export function isKernelName(name: string): name is KernelName {
  return Object.prototype.hasOwnProperty.call(KERNEL_CONTRACTS, name);
}
