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

/**
 * How the adapter reaches the graph: composed A/B matrices as inputs (`lowrank`), bank + top-k indices + weights as
 * inputs composed in-graph (`topk`), or one adapter's A/B built in as initializers (`static`: no extra inputs).
 */
export type InjectVariant = 'lowrank' | 'topk' | 'static';

/**
 * Tensors of one injected module: graph inputs stacked over the adapters of a run (dimension 0), or for `static`
 * the initializers `A` (r, in) and `B` (out, r) float32.
 */
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

/** The adapter a `static` model has built in. */
export interface StaticAdapterInfo {
  /** The adapter's name. */
  readonly adapter: string;
  readonly r: number;
  /** PyTorch keys of base tensors the adapter replaced in the model (trained biases, modules_to_save copies). */
  readonly replaced: readonly string[];
}

/** The description of an injected model. */
export interface InjectionInfo {
  readonly format: typeof INJECTION_FORMAT;
  readonly variant: InjectVariant;
  /** int64 (rows) input: adapter slot of each batch row, or `[0]` for one adapter for the whole run; null for `static`. */
  readonly rowAdapterInput: string | null;
  /** float32 (Σnv, vl) input of the `topk` variant: the banks of a run's adapters, concatenated; null otherwise. */
  readonly bankInput: string | null;
  readonly modules: readonly InjectedModule[];
  readonly overrides: readonly InjectedOverride[];
  /** For `static`: the adapter built in. */
  readonly static?: StaticAdapterInfo;
}

/** The description of a model whose adapters are chosen per run (`lowrank` or `topk`). */
export type HotSwapInjectionInfo = InjectionInfo & {
  readonly variant: 'lowrank' | 'topk';
  readonly rowAdapterInput: string;
};

/** True when adapters are graph inputs chosen per run, false for a `static` model. */
export function isHotSwap(info: InjectionInfo): info is HotSwapInjectionInfo {
  return info.variant !== 'static' && info.rowAdapterInput !== null;
}

/** Largest feature count a description may declare (feeds are sized from it). */
const MAX_FEATURES = 2 ** 31 - 1;

type Check = (v: unknown) => boolean;
const str: Check = (v) => typeof v === 'string';
const count =
  (max: number): Check =>
  (v) =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;
const record = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The first field of an injection description that breaks the format, as `where: what`, or null. */
function invalidField(info: unknown): string | null {
  if (!record(info) || info['format'] !== INJECTION_FORMAT) return `format: not ${INJECTION_FORMAT}`;
  const variant = info['variant'];
  if (variant !== 'lowrank' && variant !== 'topk' && variant !== 'static')
    return 'variant: not lowrank, topk or static';
  if (variant === 'static' ? info['rowAdapterInput'] !== null : !str(info['rowAdapterInput']))
    return 'rowAdapterInput: does not fit the variant';
  if (variant === 'topk' ? !str(info['bankInput']) : info['bankInput'] !== null)
    return 'bankInput: does not fit the variant';
  const st = info['static'];
  if (variant === 'static') {
    const ok =
      record(st) &&
      str(st['adapter']) &&
      count(MAX_FEATURES)(st['r']) &&
      Array.isArray(st['replaced']) &&
      st['replaced'].every(str);
    if (!ok) return 'static: not a static adapter (adapter, r, replaced)';
  } else if (st !== undefined) {
    return 'static: only for the static variant';
  }
  const modules = info['modules'];
  const overrides = info['overrides'];
  if (!Array.isArray(modules) || !Array.isArray(overrides)) return 'modules/overrides: not lists';
  const inputs = variant === 'topk' ? ['aIndices', 'aWeights', 'bIndices', 'bWeights'] : ['A', 'B'];
  for (const [i, m] of modules.entries()) {
    const ok =
      record(m) &&
      str(m['path']) &&
      count(MAX_FEATURES)(m['inFeatures']) &&
      (m['inFeatures'] as number) > 0 &&
      count(MAX_FEATURES)(m['outFeatures']) &&
      (m['outFeatures'] as number) > 0 &&
      count(MAX_FEATURES)(m['uses']) &&
      record(m['inputs']) &&
      inputs.every((k) => str((m['inputs'] as Record<string, unknown>)[k]));
    if (!ok) return `modules[${i}]: not a module (path, positive feature counts, ${inputs.join('/')} inputs)`;
  }
  for (const [i, o] of overrides.entries()) {
    const ok =
      record(o) &&
      str(o['key']) &&
      str(o['input']) &&
      str(o['default']) &&
      (o['dtype'] === 'f32' || o['dtype'] === 'f16') &&
      typeof o['transposed'] === 'boolean' &&
      Array.isArray(o['shape']) &&
      o['shape'].length <= 8 &&
      o['shape'].every(count(MAX_FEATURES));
    if (!ok) return `overrides[${i}]: not an override (key, input, default, f32/f16 dtype, shape, transposed)`;
  }
  return null;
}

/**
 * The injection description of a model, or null when it was not injected. Every field is checked, since feeds
 * are sized from it.
 * @throws {OnnxModelError} `injection-metadata` when malformed.
 */
export function readInjectionInfo(proto: onnx.IModelProto): InjectionInfo | null {
  const entry = (proto.metadataProps ?? []).find((p) => p.key === INJECTION_KEY);
  if (entry === undefined) return null;
  let info: unknown;
  try {
    info = JSON.parse(entry.value ?? '');
  } catch (err) {
    throw new OnnxModelError(`metadata ${INJECTION_KEY} is not JSON`, 'injection-metadata', INJECTION_KEY, {
      cause: err,
    });
  }
  const bad = invalidField(info);
  if (bad !== null) {
    throw new OnnxModelError(
      `metadata ${INJECTION_KEY} is not a ${INJECTION_FORMAT} description (written by another version?): ${bad}`,
      'injection-metadata',
      INJECTION_KEY,
    );
  }
  return info as InjectionInfo;
}

/** The metadata entry that stores an injection description. */
export function injectionMetadata(info: InjectionInfo): onnx.IStringStringEntryProto {
  return { key: INJECTION_KEY, value: JSON.stringify(info) };
}
