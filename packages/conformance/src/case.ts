/**
 * A conformance case: one kernel call with fixed inputs, and either the outputs it must produce (and how closely)
 * or the error it must throw.
 * @module
 */
import type { HostTensor, KernelArgs, KernelName, OutputAccuracy, Precision } from '@vblora/core';

export type { KernelArgs };

/** How one output is compared. */
export type OutputCheck =
  | OutputAccuracy
  /**
   * A bf16/f16 result rounded from a float32 value: it must equal the round-to-nearest-even of `unrounded` bit for
   * bit (the sign of zero included), except where `unrounded` lies within `slack` (relative) of a rounding midpoint,
   * where either neighbour is accepted. `slack` 0 (inputs whose float32 result is exact in any summation order)
   * demands round-half-to-even at the midpoint itself.
   */
  | { readonly rounding: 'bf16' | 'f16'; readonly unrounded: HostTensor<'f32'>; readonly slack: number }
  /**
   * The k−1 weights of a top-k checkpoint: within `within` of the expected weights, and such that PEFT reloads
   * every row without NaN (`1 − Σw ≥ 0` in any float32 summation order; docs/numerics.md).
   */
  | { readonly reloadable: OutputAccuracy };

/**
 * The error a case requires: the same `name` as the error core's reference kernel throws for the same arguments,
 * and a message matching `message` (PEFT's wording, or the argument at fault).
 */
export interface ExpectedError {
  readonly name: string;
  readonly message: RegExp;
}

/** Where a case's expected outputs come from. */
export type CaseSource = 'peft-golden' | 'reference';

/** One conformance case. Build inputs lazily: a suite holds hundreds of cases. */
export interface ConformanceCase<K extends KernelName = KernelName> {
  /** Stable id, e.g. `composeLowRank/golden/llama_f32_vl16_nv64_top2/model.layers.0.mlp.up_proj/full`. */
  readonly id: string;
  readonly kernel: K;
  readonly source: CaseSource;
  /** One line on what the case exercises. */
  readonly about: string;
  /**
   * The kernel's arguments. The runner gives the backend a private deep copy of them for every call and checks
   * afterwards that the copy is unchanged, so cases may share tensors (e.g. cached golden fixtures).
   */
  readonly args: () => KernelArgs<K>;
  /** Expected outputs by name (the kernel's output names); only these are compared. Empty for an error case. */
  readonly expected: () => Promise<Readonly<Record<string, HostTensor>>>;
  /** How each expected output is compared, for a backend computing in `precision` (its declared precision). */
  readonly checks: (precision: Precision) => Readonly<Record<string, OutputCheck>>;
  /** Present for a case whose call must throw: the error required (see {@link ExpectedError}). */
  readonly throws?: () => Promise<ExpectedError>;
}

/** Builds a case with its kernel type checked. */
export function defineCase<K extends KernelName>(c: ConformanceCase<K>): ConformanceCase<K> {
  return c;
}

/** True for a value shaped like a host tensor (`dtype`, `shape`, `data`). */
export function isTensor(v: unknown): v is HostTensor {
  return typeof v === 'object' && v !== null && 'dtype' in v && 'shape' in v && 'data' in v;
}

/**
 * A kernel's result as named tensors: a single tensor is named after the contract's first output; an object
 * result contributes its tensor-valued fields.
 */
export function namedOutputs(result: unknown, singleName: string): Record<string, HostTensor> {
  if (isTensor(result)) return { [singleName]: result };
  const out: Record<string, HostTensor> = {};
  if (typeof result === 'object' && result !== null) {
    for (const [k, v] of Object.entries(result)) if (isTensor(v)) out[k] = v;
  }
  return out;
}
