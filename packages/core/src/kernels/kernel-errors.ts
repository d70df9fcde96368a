/**
 * The errors the kernels throw that are not a shape check, made in one place so every backend gives the same
 * message: PEFT's own texts, word for word (SPEC §4.2, §4.4, and torch's top-k failure), then ours for the
 * top-k checkpoint rules PEFT does not check (SPEC §5.4).
 * @module
 */
import { AdapterError, NumericalError, ShapeError } from '../errors.js';

/**
 * PEFT's `safe_merge` failure (`ValueError`, SPEC §4.4), naming the module and the first non-finite element of the
 * merged weight (flat index, C order) when the module is known.
 */
export function nonFiniteMergeError(adapter: string, module: string | undefined, at: number): NumericalError {
  const where = module === undefined ? '' : ` (module ${module}, first non-finite element at flat index ${at})`;
  return new NumericalError(
    `NaNs detected in the merged weights. The adapter ${adapter} seems to be broken${where}`,
    module,
  );
}

/**
 * k outside 1 ≤ k ≤ nv: PEFT does not check it and fails inside `torch.topk` ("selected index k out of range"),
 * which the message quotes.
 */
export function kOutOfRangeError(kernel: string, k: number, nv: number): ShapeError {
  return new ShapeError(
    `${kernel}: k must be an integer with 1 ≤ k ≤ num_vectors (${nv}), got ${k} ` +
      `(torch.topk would fail with "selected index k out of range")`,
    'k',
  );
}

/** PEFT's guard against training logits rebuilt from a top-k checkpoint (`RuntimeError`, SPEC §4.2). */
export const TOPK_RESUME_MESSAGE =
  'Found infinity values in VB-LoRA logits. Ensure training was not resumed from a `save_only_topk_weights` model.';

/** PEFT's top-k resume guard as an {@link AdapterError}; `module` becomes its `module`, `adapter` is appended. */
export function topkResumeError(where: { readonly module?: string; readonly adapter?: string } = {}): AdapterError {
  const suffix = where.adapter === undefined ? '' : ` (adapter "${where.adapter}")`;
  return new AdapterError(`${TOPK_RESUME_MESSAGE}${suffix}`, where.module);
}

/**
 * k that is not a positive integer for a top-k reload (a top-k checkpoint stores k − 1 weights per row; k = 1
 * stores none).
 */
export function reloadKError(kernel: string, k: number): ShapeError {
  return new ShapeError(
    `${kernel}: k must be an integer ≥ 1, got ${k} (a top-k checkpoint stores k − 1 weights per row)`,
    'k',
  );
}

/** A stored top-k weight (element `index` of weightsKm1) outside [0, 1]: a corrupted file, nothing to repair. */
export function storedWeightError(index: number, v: number, kernel = 'safeTopkWeights'): NumericalError {
  return new NumericalError(`${kernel}: stored top-k weight [${index}] = ${v} is outside [0, 1]`, 'weightsKm1');
}

/** A logits row whose top-k weights are not finite: PEFT would save NaN and reload the whole layer as NaN. */
export function nonFiniteTopkWeightsError(kernel: string, row: number): NumericalError {
  return new NumericalError(
    `${kernel}: logits row ${row} gives non-finite top-k weights (NaN or +inf logits, or only −inf); ` +
      'PEFT would save NaN and reload the whole layer as NaN',
    'logits',
  );
}
