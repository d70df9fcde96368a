/**
 * Exact tensor bytes of an adapter checkpoint in either flavour (SPEC §5.2, §5.3), without the safetensors header.
 * @module
 */
import { ConfigError } from '../errors.js';
import { DTYPE_BYTES } from '../tensor/dtype.js';
import type { FloatDType } from '../tensor/convert.js';
import { checkAdapterSummary, otherTrainableParams, type AdapterShapeSummary } from './adapter-shape-summary.js';
import { indexDtypeFor } from './index-dtype.js';
import { bankParams, logitsParams, logitsRows } from './parameter-counts.js';

/** Options of {@link checkpointPayloadBytes}. */
export interface CheckpointPayloadOptions {
  /** Flavour; default the adapter's `saveOnlyTopkWeights`. */
  readonly topkOnly?: boolean;
  /** dtype of logits, top-k weights and bank; default `'f32'` (PEFT up-casts adapters to float32). */
  readonly adapterDtype?: FloatDType;
  /** dtype of modules_to_save and bias tensors (the base model's); default `'f32'`. */
  readonly otherDtype?: FloatDType;
}

/** Bytes of each kind of tensor in the checkpoint, and their sum. */
export interface CheckpointPayload {
  /** Full logits (full flavour; 0 for top-k). */
  readonly logitsBytes: number;
  /** `*_topk_indices` (top-k flavour; 0 for full). */
  readonly indexBytes: number;
  /** `*_topk_weights`, k-1 per row (top-k flavour; 0 for full). */
  readonly weightBytes: number;
  readonly bankBytes: number;
  /** modules_to_save and trained biases. */
  readonly otherBytes: number;
  readonly totalBytes: number;
}

/**
 * Element counts × dtype sizes of what `save_pretrained` writes for this adapter: the full flavour stores logits
 * `(…, nv)`; the top-k flavour stores k indices (in {@link indexDtypeFor}'s dtype) and k-1 weights per row.
 */
export function checkpointPayloadBytes(
  adapter: AdapterShapeSummary,
  options: CheckpointPayloadOptions = {},
): CheckpointPayload {
  checkAdapterSummary(adapter);
  const floatBytes = DTYPE_BYTES[options.adapterDtype ?? 'f32'];
  const bankBytes = bankParams(adapter) * floatBytes;
  const otherBytes = otherTrainableParams(adapter) * DTYPE_BYTES[options.otherDtype ?? 'f32'];
  if (!(options.topkOnly ?? adapter.saveOnlyTopkWeights)) {
    const logitsBytes = logitsParams(adapter) * floatBytes;
    return {
      logitsBytes,
      indexBytes: 0,
      weightBytes: 0,
      bankBytes,
      otherBytes,
      totalBytes: logitsBytes + bankBytes + otherBytes,
    };
  }
  const { topk: k, numVectors: nv } = adapter;
  if (k > nv) {
    throw new ConfigError(
      `\`topk\` ${k} exceeds \`num_vectors\` ${nv}: torch.topk fails (selected index k out of range)`,
      'topk',
    );
  }
  const rows = logitsRows(adapter);
  const indexBytes = rows * k * DTYPE_BYTES[indexDtypeFor(nv)];
  const weightBytes = rows * (k - 1) * floatBytes;
  return {
    logitsBytes: 0,
    indexBytes,
    weightBytes,
    bankBytes,
    otherBytes,
    totalBytes: indexBytes + weightBytes + bankBytes + otherBytes,
  };
}
