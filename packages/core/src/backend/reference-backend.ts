/**
 * The reference backend: core's plain-loop kernels behind the same contract as every other backend. Always
 * available, float32, synchronous.
 * @module
 */
import { adapterForward } from '../kernels/adapter-forward.js';
import { admixtureBackward, composeBackward } from '../kernels/admixture-backward.js';
import { composeLowRank } from '../kernels/compose-low-rank.js';
import { deltaWeight } from '../kernels/delta-weight.js';
import { linear } from '../kernels/linear.js';
import { merge, unmerge } from '../kernels/merge.js';
import { mixedBatchForward } from '../kernels/mixed-batch-forward.js';
import { admixFromTopk, topkAdmixture } from '../kernels/topk-admixture.js';
import { logitsFromTopk, topkWeightsForSave } from '../kernels/topk-from-checkpoint.js';
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
    composeLowRank,
    deltaWeight,
    merge,
    unmerge,
    linear,
    adapterForward,
    mixedBatchForward,
    admixtureBackward,
    composeBackward,
  },
});
