/**
 * A plain description of a VB-LoRA adapter's sizes, enough for every count and byte size in this folder.
 * @module
 */
import { ConfigError } from '../errors.js';
import { checkTargetDims } from '../targeting/check-target-dims.js';

/** One adapted layer: its rank and the wrapped layer's features. */
export interface AdapterModuleShape {
  readonly r: number;
  readonly inFeatures: number;
  readonly outFeatures: number;
}

/** The sizes of one adapter (one entry of PEFT's `peft_config`), independent of any tensor. */
export interface AdapterShapeSummary {
  /** Adapter name; default `"default"`. */
  readonly name?: string;
  readonly numVectors: number;
  readonly vectorLength: number;
  readonly topk: number;
  readonly saveOnlyTopkWeights: boolean;
  readonly modules: readonly AdapterModuleShape[];
  /** Parameters of this adapter's `modules_to_save` copies: new parameters, trained and saved in full. */
  readonly modulesToSaveParams?: number;
  /** Base parameters this adapter unfreezes (biases with `bias="all"`/`"vblora_only"`); part of the base count. */
  readonly trainableBaseParams?: number;
}

const count = (v: number | undefined, field: string): number => {
  const n = v ?? 0;
  if (!Number.isSafeInteger(n) || n < 0)
    throw new ConfigError(`\`${field}\` must be a non-negative integer; got ${n}`, field);
  return n;
};

/** Checks the summary with PEFT's per-layer messages and returns its adapter name. @internal */
export function checkAdapterSummary(a: AdapterShapeSummary): string {
  if (!Number.isSafeInteger(a.numVectors) || a.numVectors < 1) {
    throw new ConfigError(`\`num_vectors\` ${a.numVectors} should be a positive integer value`, 'num_vectors');
  }
  for (const m of a.modules) {
    checkTargetDims(m, { r: m.r, topk: a.topk, vector_length: a.vectorLength });
  }
  // Repeated for adapters without modules, where the loop checks nothing.
  checkTargetDims({ inFeatures: 0, outFeatures: 0 }, { r: 1, topk: a.topk, vector_length: a.vectorLength });
  count(a.modulesToSaveParams, 'modulesToSaveParams');
  count(a.trainableBaseParams, 'trainableBaseParams');
  return a.name ?? 'default';
}

/** The non-VB-LoRA parameters this adapter trains: modules_to_save copies plus unfrozen base parameters. @internal */
export function otherTrainableParams(a: AdapterShapeSummary): number {
  return (a.modulesToSaveParams ?? 0) + (a.trainableBaseParams ?? 0);
}
