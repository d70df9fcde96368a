/**
 * Kernels: each file holds one kernel's contract (as data) and its reference implementation in plain loops.
 * @module
 */
export type { Precision, WeightDType, TensorSpec, AttributeSpec, OutputAccuracy, KernelContract } from './contract.js';
export { F32_TOL, BF16_TOL, F16_TOL } from './contract.js';
export type { MaybePromise, KernelSet, KernelName } from './kernel-set.js';
export { KERNEL_CONTRACTS, KERNEL_NAMES, isKernelName } from './kernel-set.js';
export { TOPK_ADMIXTURE_CONTRACT, ADMIX_FROM_TOPK_CONTRACT } from './topk-admixture.js';
export type { TopkAdmixtureArgs, TopkAdmixtureResult, AdmixFromTopkArgs } from './topk-admixture.js';
export { safeTopkWeights, storeTopkWeights, LOGITS_FROM_TOPK_CONTRACT, TOPK_WEIGHTS_FOR_SAVE_CONTRACT } from './topk-from-checkpoint.js';
export type {
  LogitsFromTopkArgs,
  SafeTopkWeightsArgs,
  SafeTopkWeightsResult,
  TopkWeightsForSaveArgs,
  TopkWeightsForSaveResult,
} from './topk-from-checkpoint.js';
export { COMPOSE_LOW_RANK_CONTRACT } from './compose-low-rank.js';
export type { ComposeLowRankArgs, LowRankPair, LogitsSource, TopkForm } from './compose-low-rank.js';
export { DELTA_WEIGHT_CONTRACT } from './delta-weight.js';
export type { DeltaWeightArgs } from './delta-weight.js';
export { MERGE_CONTRACT, UNMERGE_CONTRACT } from './merge.js';
export type { MergeArgs } from './merge.js';
export { LINEAR_CONTRACT } from './linear.js';
export type { LinearArgs } from './linear.js';
export { dropoutMask, ADAPTER_FORWARD_CONTRACT } from './adapter-forward.js';
export type { AdapterForwardArgs, DropoutSpec } from './adapter-forward.js';
export { MIXED_BATCH_FORWARD_CONTRACT } from './mixed-batch-forward.js';
export type { MixedBatchForwardArgs, LowRankAdapter } from './mixed-batch-forward.js';
export { isStableAdapter, stableAdapter } from './stable-adapter.js';
export { ADMIXTURE_BACKWARD_CONTRACT, COMPOSE_BACKWARD_CONTRACT } from './admixture-backward.js';
export type { AdmixtureBackwardArgs, AdmixtureGrads, ComposeBackwardArgs, ComposeGrads } from './admixture-backward.js';
export {
  topkAdmixture,
  admixFromTopk,
  logitsFromTopk,
  topkWeightsForSave,
  composeLowRank,
  deltaWeight,
  merge,
  unmerge,
  linear,
  adapterForward,
  mixedBatchForward,
  admixtureBackward,
  composeBackward,
} from './reference-kernels.js';
export { referenceKernelCalls } from './reference-trace.js';
