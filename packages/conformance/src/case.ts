/**
 * A conformance case: one kernel call with fixed inputs, the outputs it must produce, and how closely.
 * @module
 */
import type { HostTensor, KernelName, KernelSet, OutputAccuracy } from '@vblora/core';

/** Arguments of kernel `K`. */
export type KernelArgs<K extends KernelName> = Parameters<KernelSet[K]>[0];

/** How one output is compared. */
export type OutputCheck =
  | OutputAccuracy
  /**
   * A bf16/f16 result rounded from a float32 value: it must equal the round-to-nearest-even of `unrounded`, except
   * where `unrounded` lies within `slack` (relative) of a rounding midpoint, where either neighbour is accepted.
   */
  | { readonly rounding: 'bf16' | 'f16'; readonly unrounded: HostTensor<'f32'>; readonly slack: number };

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
  /** The kernel's arguments. */
  readonly args: () => KernelArgs<K>;
  /** Expected outputs by name (the kernel's output names); only these are compared. */
  readonly expected: () => Promise<Readonly<Record<string, HostTensor>>>;
  /** How each expected output is compared. */
  readonly checks: () => Readonly<Record<string, OutputCheck>>;
}

/** Builds a case with its kernel type checked. */
export function defineCase<K extends KernelName>(c: ConformanceCase<K>): ConformanceCase<K> {
  return c;
}

function isTensor(v: unknown): v is HostTensor {
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
