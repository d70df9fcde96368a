/**
 * What the folder commands report: per ONNX variant, what was done to it; for the folder, what was copied and what
 * was not carried over.
 * @module
 */
import type { RequantizeReport } from '../merge/requantize-plan.js';
import type { VariantKind } from './classify-variant.js';
import type { FolderDtype } from './variant-files.js';

/** What happened to one variant: merged (float), requantized (quantized, merged), injected, or skipped. */
export type VariantAction = 'merged' | 'requantized' | 'injected' | 'skipped';

/** One ONNX variant of the output folder. */
export interface FolderVariantReport {
  /** File name inside `onnx/`. */
  readonly file: string;
  /** The transformers.js dtype its name stands for. */
  readonly dtype: FolderDtype;
  /** What its content is (see `classifyVariant`). */
  readonly kind: VariantKind;
  readonly action: VariantAction;
  /** The external data file written beside it (inside `onnx/`), or null. */
  readonly dataFile: string | null;
  /** Per quantized module, the error requantizing added (`requantized` only). */
  readonly requantized: readonly RequantizeReport[];
  /** Why it was skipped (`skipped` only; empty otherwise). */
  readonly reason: string;
  /** Differences between the adapter's modules and PEFT's targeting of this graph. */
  readonly warnings: readonly string[];
}

/** What a folder command wrote. */
export interface ModelFolderReport {
  /** The output folder (real path). */
  readonly folder: string;
  /** Top-level files copied byte for byte. */
  readonly copied: readonly string[];
  /** Every ONNX variant of the input, in name order. */
  readonly variants: readonly FolderVariantReport[];
  /** Entries of the input not carried over, each with the reason. */
  readonly notCarried: readonly string[];
}

/** Progress of a folder command: variant `index` of `total` (from 1), and the module or tensor being written. */
export type FolderProgress = (
  index: number,
  total: number,
  file: string,
  done: number,
  of: number,
  what: string,
) => void;
