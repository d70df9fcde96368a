/**
 * Every kernel's argument check, keyed by kernel name: the one set of rules and messages that the reference
 * kernels and every backend apply before computing, so the same bad input gives the same error whichever backend
 * runs. Each check lives in its kernel's file, next to the contract; this table only gathers them.
 * @module
 */
import { checkAdapterForwardArgs, type AdapterForwardDims } from './adapter-forward.js';
import {
  checkAdmixtureBackwardArgs,
  checkComposeBackwardArgs,
  type AdmixtureBackwardDims,
  type ComposeBackwardDims,
} from './admixture-backward.js';
import { checkComposeLowRankArgs, type ComposeLowRankDims } from './compose-low-rank.js';
import { checkDeltaWeightArgs, type LowRankDims } from './delta-weight.js';
import type { KernelName, KernelSet } from './kernel-set.js';
import { checkLinearArgs, type LinearDims } from './linear.js';
import { checkMergeArgs } from './merge.js';
import { checkMixedBatchForwardArgs, type MixedBatchForwardDims } from './mixed-batch-forward.js';
import {
  checkAdmixFromTopkArgs,
  checkTopkAdmixtureArgs,
  type AdmixFromTopkDims,
  type TopkAdmixtureDims,
} from './topk-admixture.js';
import {
  checkLogitsFromTopkArgs,
  checkTopkWeightsForSaveArgs,
  type LogitsFromTopkDims,
  type TopkWeightsForSaveDims,
} from './topk-from-checkpoint.js';
import { checkTopkReloadArgs, type TopkReloadDims } from './topk-reload.js';

/** The argument object of kernel `K` (host tensors). */
export type KernelArgs<K extends KernelName> = Parameters<KernelSet[K]>[0];

/** What each kernel's check returns for valid arguments: the sizes read from them. */
export interface KernelDims {
  topkAdmixture: TopkAdmixtureDims;
  admixFromTopk: AdmixFromTopkDims & { readonly indices: Int32Array };
  logitsFromTopk: LogitsFromTopkDims & { readonly indices: Int32Array };
  topkWeightsForSave: TopkWeightsForSaveDims;
  topkReload: TopkReloadDims;
  composeLowRank: ComposeLowRankDims;
  deltaWeight: LowRankDims;
  merge: LowRankDims;
  unmerge: LowRankDims;
  linear: LinearDims;
  adapterForward: AdapterForwardDims;
  mixedBatchForward: MixedBatchForwardDims;
  admixtureBackward: AdmixtureBackwardDims;
  composeBackward: ComposeBackwardDims;
}

/** Every kernel's argument check, keyed by kernel name (the same functions as `checkTopkAdmixtureArgs`, …). */
export const KERNEL_ARG_CHECKS: { readonly [K in KernelName]: (args: KernelArgs<K>) => KernelDims[K] } = Object.freeze({
  topkAdmixture: checkTopkAdmixtureArgs,
  admixFromTopk: (args: KernelArgs<'admixFromTopk'>) => checkAdmixFromTopkArgs(args),
  logitsFromTopk: (args: KernelArgs<'logitsFromTopk'>) => checkLogitsFromTopkArgs(args),
  topkWeightsForSave: checkTopkWeightsForSaveArgs,
  topkReload: checkTopkReloadArgs,
  composeLowRank: checkComposeLowRankArgs,
  deltaWeight: checkDeltaWeightArgs,
  merge: (args: KernelArgs<'merge'>) => checkMergeArgs(args, 'merge'),
  unmerge: (args: KernelArgs<'unmerge'>) => checkMergeArgs(args, 'unmerge'),
  linear: (args: KernelArgs<'linear'>) => checkLinearArgs(args),
  adapterForward: checkAdapterForwardArgs,
  mixedBatchForward: checkMixedBatchForwardArgs,
  admixtureBackward: checkAdmixtureBackwardArgs,
  composeBackward: checkComposeBackwardArgs,
});

/**
 * Checks the arguments of kernel `kernel` exactly as the reference kernel does before computing — dtypes, shapes,
 * attributes and the values of index inputs — and returns the sizes read from them. A backend calls it (or the
 * kernel's own `check…Args`) first, so the same bad input gives the same error class and message everywhere.
 * @throws {ShapeError} for a dtype, shape, k or index that breaks the contract (`"<kernel>: <arg> must …"`).
 * @throws {NumericalError} for stored top-k weights outside [0, 1] (`logitsFromTopk` with `safe`, `topkReload`).
 * @throws {ConfigError} for a dropout probability outside [0, 1] or an unsafe seed (`adapterForward`).
 * @example
 * ```ts
 * deltaWeight: async (args) => {
 *   const { r, inF, outF } = checkKernelArgs('deltaWeight', args);
 *   return myDelta(args.A.data, args.B.data, r, inF, outF);
 * },
 * ```
 */
export function checkKernelArgs<K extends KernelName>(kernel: K, args: KernelArgs<K>): KernelDims[K] {
  const check = KERNEL_ARG_CHECKS[kernel] as (a: KernelArgs<K>) => KernelDims[K];
  return check(args);
}
