/**
 * The reference backend: core's plain-loop kernels behind the same contract as every other backend. Always
 * available, float32, synchronous. Its kernels are the counted ones (`referenceKernelCalls`), like the package's
 * exports, so the conformance kit can tell when another backend hands work to them.
 * @module
 */
import {
  adapterForward,
  admixFromTopk,
  admixtureBackward,
  composeBackward,
  composeLowRank,
  deltaWeight,
  linear,
  logitsFromTopk,
  merge,
  mixedBatchForward,
  topkAdmixture,
  topkReload,
  topkWeightsForSave,
  unmerge,
} from '../kernels/reference-kernels.js';
import type { KernelSet } from '../kernels/kernel-set.js';
import { defineBackend, type Backend } from './define-backend.js';

/** Core's reference backend, implementing every kernel. */
export const referenceBackend: Backend = defineBackend({
  name: 'reference',
  precision: 'f32',
  isAvailable: () => true,
  kernels: {
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
  } satisfies KernelSet,
});
