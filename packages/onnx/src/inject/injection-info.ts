/**
 * What an injected model carries about its VB-LoRA inputs, stored as JSON in the model's `metadata_props` under
 * `vblora.injection`, so that `AdapterSession` (or any other runtime) knows what to feed.
 * @module
 */
import { OnnxModelError } from '../errors.js';
import type { onnx } from '../proto.js';

/** Metadata key of the injection description. */
export const INJECTION_KEY = 'vblora.injection';
/** Format tag of the injection description. */
export const INJECTION_FORMAT = 'vblora-inject/1';

/** How the adapter reaches the graph: composed A/B matrices, or bank + top-k indices + weights composed in-graph. */
export type InjectVariant = 'lowrank' | 'topk';

/** Inputs of one injected module (all stacked over the adapters of a run, dimension 0). */
export type InjectedInputs =
  | { readonly A: string; readonly B: string }
  | { readonly aIndices: string; readonly aWeights: string; readonly bIndices: string; readonly bWeights: string };

/** One module with a VB-LoRA branch. */
export interface InjectedModule {
  readonly path: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Number of graph layers (calls of the module) that got a branch. */
  readonly uses: number;
  readonly inputs: InjectedInputs;
}

/** A base tensor that an adapter may replace per run (a trained bias, a modules_to_save weight). */
export interface InjectedOverride {
  /** PyTorch state-dict key, e.g. `head.weight`. */
  readonly key: string;
  /** Graph input to feed. */
  readonly input: string;
  /** Initializer holding the base value (in the model's dtype), fed when an adapter does not replace the tensor. */
  readonly default: string;
  /** Element type to feed. */
  readonly dtype: 'f32' | 'f16';
  /** Shape of the graph input. */
  readonly shape: readonly number[];
  /** True when the graph stores the transpose of the PyTorch tensor. */
  readonly transposed: boolean;
}

/** The description of an injected model. */
export interface InjectionInfo {
  readonly format: typeof INJECTION_FORMAT;
  readonly variant: InjectVariant;
  /** int64 (rows) input: adapter slot of each batch row, or `[0]` for one adapter for the whole run. */
  readonly rowAdapterInput: string;
  /** float32 (Σnv, vl) input of the `topk` variant: the banks of a run's adapters, concatenated; null for `lowrank`. */
  readonly bankInput: string | null;
  readonly modules: readonly InjectedModule[];
  readonly overrides: readonly InjectedOverride[];
}

/** The injection description of a model, or null when it was not injected. @throws {OnnxModelError} when malformed. */
export function readInjectionInfo(proto: onnx.IModelProto): InjectionInfo | null {
  const entry = (proto.metadataProps ?? []).find((p) => p.key === INJECTION_KEY);
  if (entry === undefined) return null;
  let info: InjectionInfo;
  try {
    info = JSON.parse(entry.value ?? '') as InjectionInfo;
  } catch (err) {
    throw new OnnxModelError(`metadata ${INJECTION_KEY} is not JSON`, 'injection-metadata', INJECTION_KEY, { cause: err });
  }
  if (info?.format !== INJECTION_FORMAT || !Array.isArray(info.modules) || !Array.isArray(info.overrides)) {
    throw new OnnxModelError(
      `metadata ${INJECTION_KEY} is not a ${INJECTION_FORMAT} description (written by another version?)`,
      'injection-metadata',
      INJECTION_KEY,
    );
  }
  return info;
}

/** The metadata entry that stores an injection description. */
export function injectionMetadata(info: InjectionInfo): onnx.IStringStringEntryProto {
  return { key: INJECTION_KEY, value: JSON.stringify(info) };
}
