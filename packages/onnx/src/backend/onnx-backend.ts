/**
 * The onnxruntime-node backend: core's kernels as small ONNX graphs, one cached session per graph variant.
 * @module
 */
import type * as ort from 'onnxruntime-node';
import { defineBackend, type Backend, type KernelSet } from '@vblora/core';
import { nodeOrt } from '../runtime/node-ort.js';
import { GraphSessions } from './graph-sessions.js';
import { admixFromTopkKernel, composeLowRankKernel, topkAdmixtureKernel } from './kernels/admixture.js';
import { admixtureBackwardKernel, composeBackwardKernel } from './kernels/backward.js';
import { logitsFromTopkKernel, topkWeightsForSaveKernel } from './kernels/checkpoint.js';
import { adapterForwardKernel, mixedBatchForwardKernel } from './kernels/forward.js';
import { deltaWeightKernel, linearKernel, mergeOnOrt, unmergeOnOrt } from './kernels/weights.js';

/** Options of {@link createOnnxBackend}. */
export interface OnnxBackendOptions {
  /** onnxruntime session options of the kernel graphs (default: errors-only logging, onnxruntime's threads). */
  readonly sessionOptions?: ort.InferenceSession.SessionOptions;
  /** Backend name (default `onnxruntime-node`). */
  readonly name?: string;
}

/** A backend whose kernels run as ONNX graphs on onnxruntime-node's CPU execution provider. */
export interface OnnxBackend extends Backend {
  /** Releases every cached kernel session. */
  readonly release: () => Promise<void>;
  /** Number of kernel-graph sessions built so far (one per kernel variant, reused for every shape). */
  readonly sessionCount: () => number;
}

/**
 * Creates an onnxruntime-node backend with its own session cache.
 * @example
 * ```ts
 * const backend = createOnnxBackend({ sessionOptions: { intraOpNumThreads: 2 } });
 * const pairs = await composeAdapter(adapter, { backend });
 * ```
 */
export function createOnnxBackend(options: OnnxBackendOptions = {}): OnnxBackend {
  const sessions = new GraphSessions({ logSeverityLevel: 3, ...options.sessionOptions }, nodeOrt);
  const backend = defineBackend({
    name: options.name ?? 'onnxruntime-node',
    precision: 'f32',
    // onnxruntime-node is an optional peer, loaded here on first use
    isAvailable: () => {
      try {
        return typeof nodeOrt().InferenceSession?.create === 'function';
      } catch {
        return false;
      }
    },
    kernels: {
      topkAdmixture: topkAdmixtureKernel(sessions),
      admixFromTopk: admixFromTopkKernel(sessions),
      logitsFromTopk: logitsFromTopkKernel(sessions),
      topkWeightsForSave: topkWeightsForSaveKernel(sessions),
      composeLowRank: composeLowRankKernel(sessions),
      deltaWeight: deltaWeightKernel(sessions),
      merge: mergeOnOrt(sessions),
      unmerge: unmergeOnOrt(sessions),
      linear: linearKernel(sessions),
      adapterForward: adapterForwardKernel(sessions),
      mixedBatchForward: mixedBatchForwardKernel(sessions),
      admixtureBackward: admixtureBackwardKernel(sessions),
      composeBackward: composeBackwardKernel(sessions),
    } satisfies Omit<KernelSet, 'topkReload'>, // topkReload: absent (core's plain loops run it)
  });
  return Object.freeze({ ...backend, release: () => sessions.release(), sessionCount: () => sessions.size });
}

/** The default onnxruntime-node backend (a shared session cache; create your own to control threads). */
export const onnxBackend: OnnxBackend = createOnnxBackend();
