/**
 * The reference kernels as the package exports them: each call is counted by {@link referenceKernelCalls}, so the
 * conformance kit can tell when another backend hands its work to them.
 * @module
 */
import { adapterForward as adapterForwardImpl, type AdapterForwardArgs } from './adapter-forward.js';
import {
  admixtureBackward as admixtureBackwardImpl,
  composeBackward as composeBackwardImpl,
  type AdmixtureBackwardArgs,
  type AdmixtureGrads,
  type ComposeBackwardArgs,
  type ComposeGrads,
} from './admixture-backward.js';
import { composeLowRank as composeLowRankImpl, type ComposeLowRankArgs, type LowRankPair } from './compose-low-rank.js';
import type { WeightDType } from './contract.js';
import { deltaWeight as deltaWeightImpl, type DeltaWeightArgs } from './delta-weight.js';
import { linear as linearImpl, type LinearArgs } from './linear.js';
import { merge as mergeImpl, unmerge as unmergeImpl, type MergeArgs } from './merge.js';
import { mixedBatchForward as mixedBatchForwardImpl, type MixedBatchForwardArgs } from './mixed-batch-forward.js';
import { countReferenceCall as count } from './reference-trace.js';
import {
  admixFromTopk as admixFromTopkImpl,
  topkAdmixture as topkAdmixtureImpl,
  type AdmixFromTopkArgs,
  type TopkAdmixtureArgs,
  type TopkAdmixtureResult,
} from './topk-admixture.js';
import {
  logitsFromTopk as logitsFromTopkImpl,
  topkWeightsForSave as topkWeightsForSaveImpl,
  type LogitsFromTopkArgs,
  type TopkWeightsForSaveArgs,
  type TopkWeightsForSaveResult,
} from './topk-from-checkpoint.js';
import { topkReload as topkReloadImpl, type TopkReloadArgs, type TopkReloadResult } from './topk-reload.js';
import type { HostTensor } from '../tensor/host-tensor.js';

/** Top-k admixture of logits over the bank (reference; see `topk-admixture.ts`). */
export function topkAdmixture(args: TopkAdmixtureArgs): TopkAdmixtureResult {
  count('topkAdmixture');
  return topkAdmixtureImpl(args);
}

/** Admixture from stored top-k indices and weights (reference). */
export function admixFromTopk(args: AdmixFromTopkArgs): HostTensor<'f32'> {
  count('admixFromTopk');
  return admixFromTopkImpl(args);
}

/** Dense logits rebuilt from a top-k checkpoint (reference). */
export function logitsFromTopk(args: LogitsFromTopkArgs): HostTensor<'f32'> {
  count('logitsFromTopk');
  return logitsFromTopkImpl(args);
}

/** Top-k indices and k−1 weights as a top-k checkpoint stores them (reference). */
export function topkWeightsForSave(args: TopkWeightsForSaveArgs): TopkWeightsForSaveResult {
  count('topkWeightsForSave');
  return topkWeightsForSaveImpl(args);
}

/** PEFT's reload of a top-k factor: the indices and weights it mixes (reference). */
export function topkReload(args: TopkReloadArgs): TopkReloadResult {
  count('topkReload');
  return topkReloadImpl(args);
}

/** A (r, in) and B (out, r) from logits or top-k input (reference). */
export function composeLowRank(args: ComposeLowRankArgs): LowRankPair {
  count('composeLowRank');
  return composeLowRankImpl(args);
}

/** Delta weight B·A (reference). */
export function deltaWeight(args: DeltaWeightArgs): HostTensor<'f32'> {
  count('deltaWeight');
  return deltaWeightImpl(args);
}

/** Merges the delta into a base weight, rounding like PEFT (reference). */
export function merge<D extends WeightDType>(args: MergeArgs<D>): HostTensor<D> {
  count('merge');
  return mergeImpl(args);
}

/** Unmerges the delta from a base weight (reference). */
export function unmerge<D extends WeightDType>(args: MergeArgs<D>): HostTensor<D> {
  count('unmerge');
  return unmergeImpl(args);
}

/** Base linear layer forward (reference). */
export function linear<D extends WeightDType>(args: LinearArgs<D>): HostTensor<D> {
  count('linear');
  return linearImpl(args);
}

/** Base output plus the adapter term (reference). */
export function adapterForward<D extends WeightDType>(args: AdapterForwardArgs<D>): HostTensor<D> {
  count('adapterForward');
  return adapterForwardImpl(args);
}

/** Adapter forward with a different adapter per row (reference). */
export function mixedBatchForward<D extends WeightDType>(args: MixedBatchForwardArgs<D>): HostTensor<D> {
  count('mixedBatchForward');
  return mixedBatchForwardImpl(args);
}

/** Gradients through the top-k admixture (reference). */
export function admixtureBackward(args: AdmixtureBackwardArgs): AdmixtureGrads {
  count('admixtureBackward');
  return admixtureBackwardImpl(args);
}

/** Gradients of A and B back to logits and bank (reference). */
export function composeBackward(args: ComposeBackwardArgs): ComposeGrads {
  count('composeBackward');
  return composeBackwardImpl(args);
}
