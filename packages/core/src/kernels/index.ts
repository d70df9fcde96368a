/**
 * Kernels: each file holds one kernel's contract (as data), its argument check (shared by every backend) and its
 * reference implementation in plain loops; `kernel-errors.ts` holds the errors that are not shape checks.
 * @module
 */
export type { Precision, WeightDType, TensorSpec, AttributeSpec, OutputAccuracy, KernelContract } from './contract.js';
export { F32_TOL, BF16_TOL, F16_TOL } from './contract.js';
export type { MaybePromise, KernelSet, KernelName } from './kernel-set.js';
export type { TensorFamily, TensorOf, IndexTensorOf, HostTensors } from './tensor-family.js';
export { KERNEL_CONTRACTS, KERNEL_NAMES, isKernelName } from './kernel-set.js';
export {
  TOPK_ADMIXTURE_CONTRACT,
  ADMIX_FROM_TOPK_CONTRACT,
  checkTopkAdmixtureArgs,
  checkAdmixFromTopkArgs,
  selectTopk,
  softmaxF32,
  topkRanksAbove,
} from './topk-admixture.js';
export type {
  TopkAdmixtureArgs,
  TopkAdmixtureResult,
  TopkAdmixtureDims,
  AdmixFromTopkArgs,
  AdmixFromTopkDims,
} from './topk-admixture.js';
export {
  safeTopkWeights,
  restoreTopkWeights,
  storeTopkWeights,
  checkLogitsFromTopkArgs,
  checkTopkWeightsForSaveArgs,
  LOGITS_FROM_TOPK_CONTRACT,
  TOPK_WEIGHTS_FOR_SAVE_CONTRACT,
} from './topk-from-checkpoint.js';
export type {
  LogitsFromTopkArgs,
  LogitsFromTopkDims,
  SafeTopkWeightsArgs,
  SafeTopkWeightsResult,
  TopkWeightsForSaveArgs,
  TopkWeightsForSaveDims,
  TopkWeightsForSaveResult,
} from './topk-from-checkpoint.js';
export { TOPK_RELOAD_CONTRACT, checkTopkReloadArgs } from './topk-reload.js';
export type { TopkReloadArgs, TopkReloadDims, TopkReloadResult } from './topk-reload.js';
export { COMPOSE_LOW_RANK_CONTRACT, checkComposeLowRankArgs, isTopk } from './compose-low-rank.js';
export type {
  ComposeLowRankArgs,
  ComposeLowRankDims,
  LowRankPair,
  LogitsSource,
  LogitsSourceInfo,
  TopkForm,
} from './compose-low-rank.js';
export { DELTA_WEIGHT_CONTRACT, checkDeltaWeightArgs, checkLowRankPair } from './delta-weight.js';
export type { DeltaWeightArgs, LowRankDims } from './delta-weight.js';
export { MERGE_CONTRACT, UNMERGE_CONTRACT, checkMergeArgs } from './merge.js';
export type { MergeArgs } from './merge.js';
export { LINEAR_CONTRACT, checkLinearArgs } from './linear.js';
export type { LinearArgs, LinearDims } from './linear.js';
export { applyDropout, dropoutMask, ADAPTER_FORWARD_CONTRACT, checkAdapterForwardArgs } from './adapter-forward.js';
export type { AdapterForwardArgs, AdapterForwardDims, DropoutSpec } from './adapter-forward.js';
export { MIXED_BATCH_FORWARD_CONTRACT, checkMixedBatchForwardArgs } from './mixed-batch-forward.js';
export type { MixedBatchForwardArgs, MixedBatchForwardDims, LowRankAdapter } from './mixed-batch-forward.js';
export { isStableAdapter, stableAdapter } from './stable-adapter.js';
export { isStableBank } from './stable-bank.js';
export {
  ADMIXTURE_BACKWARD_CONTRACT,
  COMPOSE_BACKWARD_CONTRACT,
  checkAdmixtureBackwardArgs,
  checkComposeBackwardArgs,
} from './admixture-backward.js';
export type {
  AdmixtureBackwardArgs,
  AdmixtureBackwardDims,
  AdmixtureGrads,
  ComposeBackwardArgs,
  ComposeBackwardDims,
  ComposeGrads,
} from './admixture-backward.js';
export type { TensorInfo } from './check.js';
export { readIndices, requireDType, requireSameShape, requireShape } from './check.js';
export { KERNEL_ARG_CHECKS, checkKernelArgs } from './check-args.js';
export type { KernelArgs, KernelDims } from './check-args.js';
export { checkKernelResult, expectedKernelOutputs, kernelResultProblems } from './check-result.js';
export type { OutputSpec, ResultProblem } from './check-result.js';
export {
  TOPK_RESUME_MESSAGE,
  kOutOfRangeError,
  nonFiniteMergeError,
  nonFiniteTopkWeightsError,
  reloadKError,
  storedWeightError,
  topkResumeError,
} from './kernel-errors.js';
export {
  topkAdmixture,
  admixFromTopk,
  logitsFromTopk,
  topkWeightsForSave,
  topkReload,
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
