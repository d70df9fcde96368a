/**
 * The state every wrapped layer reads during a forward pass: which adapters are loaded, active, enabled, whether
 * the model trains, and the per-request choice (one adapter set, or one adapter per batch row).
 * @internal
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { AdapterWeights } from './adapter-weights.js';

/** A per-request adapter choice. */
export interface RequestChoice {
  /** Adapters applied to the whole batch (summed in order); empty = base model only. */
  readonly adapters?: readonly string[];
  /** One adapter name per batch row (null = base model for that row). */
  readonly rows?: readonly (string | null)[];
}

/** Shared forward state of a VB-LoRA model. */
export interface ForwardState {
  readonly adapters: Map<string, AdapterWeights>;
  active: string[];
  enabled: boolean;
  training: boolean;
  request: RequestChoice | null;
  /** A and B to use instead of composing them, keyed `adapter/path` (gradient analysis; see `withLowRank`). */
  lowRank: ReadonlyMap<string, { readonly A: tf.Tensor2D; readonly B: tf.Tensor2D }> | null;
  /** Seed of the next dropout mask (advanced by every use, so masks differ between layers and steps). */
  nextSeed(): number;
}

/** The adapters a forward pass applies to the whole batch, or null when rows choose (see {@link rowMask}). */
export function batchAdapters(state: ForwardState): readonly string[] | null {
  if (!state.enabled) return [];
  if (state.request?.rows !== undefined) return null;
  return state.request?.adapters ?? state.active;
}

/** Distinct adapters named by a per-row choice, in first-use order. */
export function rowAdapters(rows: readonly (string | null)[]): string[] {
  return [...new Set(rows.filter((r): r is string => r !== null))];
}

/** A (batch, 1, …, 1) float mask selecting the rows that use `name` (or no adapter, for null), for an input of rank `rank`. */
export function rowMask(rows: readonly (string | null)[], name: string | null, rank: number): tf.Tensor {
  const values = Float32Array.from(rows, (r) => (r === name ? 1 : 0));
  return tf.tensor(values, [rows.length, ...Array<number>(Math.max(rank - 1, 0)).fill(1)]);
}

/** Per-request choice for `VBLoRAModel.predict`. */
export interface PredictOptions {
  /** Adapter(s) for this call instead of the active ones; `null` or `[]` runs the base model. */
  readonly adapter?: string | readonly string[] | null;
  /** One adapter name (or null) per batch row: a mixed batch. */
  readonly rowAdapters?: readonly (string | null)[];
}

/** The request a `predict` call makes, or null to use the active adapters. */
export function requestOf(options: PredictOptions): RequestChoice | null {
  if (options.rowAdapters !== undefined) return { rows: options.rowAdapters };
  if (options.adapter === undefined) return null;
  if (options.adapter === null) return { adapters: [] };
  return { adapters: typeof options.adapter === 'string' ? [options.adapter] : options.adapter };
}
