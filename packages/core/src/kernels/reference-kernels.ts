/**
 * The reference kernels as the package exports them: each one counted by {@link referenceKernelCalls}.
 * @module
 */
import { adapterForward as adapterForwardImpl } from './adapter-forward.js';
import { admixtureBackward as admixtureBackwardImpl, composeBackward as composeBackwardImpl } from './admixture-backward.js';
import { composeLowRank as composeLowRankImpl } from './compose-low-rank.js';
import { deltaWeight as deltaWeightImpl } from './delta-weight.js';
import { linear as linearImpl } from './linear.js';
import { merge as mergeImpl, unmerge as unmergeImpl } from './merge.js';
import { mixedBatchForward as mixedBatchForwardImpl } from './mixed-batch-forward.js';
import { traced } from './reference-trace.js';
import { admixFromTopk as admixFromTopkImpl, topkAdmixture as topkAdmixtureImpl } from './topk-admixture.js';
import { logitsFromTopk as logitsFromTopkImpl, topkWeightsForSave as topkWeightsForSaveImpl } from './topk-from-checkpoint.js';

/** Top-k admixture of logits over the bank (reference). */
export const topkAdmixture = traced('topkAdmixture', topkAdmixtureImpl);
/** Admixture from stored top-k indices and weights (reference). */
export const admixFromTopk = traced('admixFromTopk', admixFromTopkImpl);
/** Dense logits rebuilt from a top-k checkpoint (reference). */
export const logitsFromTopk = traced('logitsFromTopk', logitsFromTopkImpl);
/** Top-k indices and k−1 weights as a top-k checkpoint stores them (reference). */
export const topkWeightsForSave = traced('topkWeightsForSave', topkWeightsForSaveImpl);
/** A (r, in) and B (out, r) from logits or top-k input (reference). */
export const composeLowRank = traced('composeLowRank', composeLowRankImpl);
/** Delta weight B·A (reference). */
export const deltaWeight = traced('deltaWeight', deltaWeightImpl);
/** Merge the delta into a base weight, rounding like PEFT (reference). */
export const merge = traced('merge', mergeImpl);
/** Unmerge the delta from a base weight (reference). */
export const unmerge = traced('unmerge', unmergeImpl);
/** Base linear layer forward (reference). */
export const linear = traced('linear', linearImpl);
/** Base output plus the adapter term (reference). */
export const adapterForward = traced('adapterForward', adapterForwardImpl);
/** Adapter forward with a different adapter per row (reference). */
export const mixedBatchForward = traced('mixedBatchForward', mixedBatchForwardImpl);
/** Gradients through the top-k admixture (reference). */
export const admixtureBackward = traced('admixtureBackward', admixtureBackwardImpl);
/** Gradients of A and B back to logits and bank (reference). */
export const composeBackward = traced('composeBackward', composeBackwardImpl);
