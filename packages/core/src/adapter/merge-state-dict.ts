import { referenceBackend, requireKernel, type Backend } from '../backend/index.js';
import { MODULE_KEY_PREFIX } from '../checkpoint/adapter-keys.js';
import { AdapterError, DTypeError, ShapeError, UnsupportedError } from '../errors.js';
import type { WeightDType } from '../kernels/index.js';
import {
  fromF32,
  formatShape,
  isFloatDType,
  numel,
  sameShape,
  toF32,
  type DType,
  type HostTensor,
} from '../tensor/index.js';
import { composeAdapter } from './compose-adapter.js';
import type { VBLoRAAdapter } from './vblora-adapter.js';

/** Options of {@link mergeIntoStateDict}. */
export interface MergeStateDictOptions {
  /** Backend whose `composeLowRank` and `merge` kernels run (default: the reference backend). */
  readonly backend?: Backend;
  /** PEFT's `safe_merge`: fail with a NumericalError naming the module if a merged weight is not finite. */
  readonly safe?: boolean;
  /** Called after each merged module with the number done and the total. */
  readonly onProgress?: (done: number, total: number, module: string) => void;
}

/**
 * The base-model key a saved non-VB-LoRA tensor replaces: `base_model.model.<path>.base_layer.bias` →
 * `<path>.bias` (trained biases), `base_model.model.head.weight` → `head.weight` (modules_to_save copies).
 */
export function baseKeyOfExtra(key: string): string {
  const stripped = key.startsWith(MODULE_KEY_PREFIX) ? key.slice(MODULE_KEY_PREFIX.length) : key;
  return stripped.replace('.base_layer.', '.');
}

/**
 * Throws an AdapterError listing how many adapted modules have no `<path>.weight` among the base keys, with a
 * sample of the base's weight names (a wrong base model is the usual cause).
 */
export function checkBaseHasModules(adapter: VBLoRAAdapter, baseKeys: Iterable<string>): void {
  const keys = new Set(baseKeys);
  const missing = [...adapter.modules.keys()].filter((path) => !keys.has(`${path}.weight`));
  if (missing.length === 0) return;
  const sample = [...keys].filter((k) => k.endsWith('.weight')).slice(0, 3);
  throw new AdapterError(
    `the base model has no weight for ${missing.length} of ${adapter.modules.size} adapted modules ` +
      `(first: ${missing[0]}.weight); its weights look like ${sample.join(', ') || '(none)'}: is it the right base model?`,
    missing[0],
  );
}

/** What a merge needs to know of a base tensor before touching its data: dtype and shape (the data may be on disk). */
export interface BaseTensorInfo {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** The weight dtypes the merge kernels take (reference, cpu and the merge pool alike). */
export const MERGE_WEIGHT_DTYPES: readonly WeightDType[] = ['f32', 'bf16', 'f16'];

const isWeightDType = (d: DType): d is WeightDType => (MERGE_WEIGHT_DTYPES as readonly string[]).includes(d);
const upper = (d: DType) => d.toUpperCase();

/**
 * Checks everything a merge needs before anything is composed or written, and returns the tensors to carry over
 * (trained biases, modules_to_save copies) keyed by the base tensor they replace, already in its dtype.
 * Every adapted module needs a base weight of a merge dtype and of its shape; every carried tensor needs a base
 * tensor of the same shape (PEFT refuses a size mismatch) and a dtype it can be cast to, and replaces exactly
 * one base tensor that no module or other carried tensor also writes. `where(key)` names the base tensor's file
 * in messages (e.g. ` (in model-00001-of-00002.safetensors)`).
 * @throws {AdapterError} for a missing base tensor or two writers of one; {@link UnsupportedError} for a weight
 * dtype the kernels lack; {@link ShapeError} for a shape or dtype that does not fit.
 */
export function checkMergeInputs(
  adapter: VBLoRAAdapter,
  base: ReadonlyMap<string, BaseTensorInfo>,
  where: (key: string) => string = () => '',
): Map<string, HostTensor> {
  checkBaseHasModules(adapter, base.keys());
  const fanInFanOut = adapter.config.fan_in_fan_out;
  for (const m of adapter.modules.values()) {
    const key = `${m.path}.weight`;
    const w = base.get(key)!;
    if (!isWeightDType(w.dtype)) {
      throw new UnsupportedError(
        `${key}${where(key)} has dtype ${upper(w.dtype)}; merging supports ${MERGE_WEIGHT_DTYPES.map(upper).join(', ')} weights only`,
      );
    }
    const expected = fanInFanOut ? [m.inFeatures, m.outFeatures] : [m.outFeatures, m.inFeatures];
    if (!sameShape(w.shape, expected)) {
      throw new ShapeError(
        `${key}${where(key)} has shape ${formatShape(w.shape)} but the adapter needs ${formatShape(expected)}` +
          ` (${fanInFanOut ? 'in, out: fan_in_fan_out' : 'out, in'})`,
        m.path,
      );
    }
  }
  const extras = new Map<string, HostTensor>();
  const source = new Map<string, string>();
  for (const [key, t] of adapter.extraTensors) {
    const target = baseKeyOfExtra(key);
    const old = base.get(target);
    if (old === undefined) {
      throw new AdapterError(`the adapter carries ${key} but the base model has no ${target} to replace`, target);
    }
    const module = target.endsWith('.weight') ? target.slice(0, -'.weight'.length) : undefined;
    const other =
      source.get(target) ??
      (module !== undefined && adapter.modules.has(module) ? `the adapted module ${module}` : undefined);
    if (other !== undefined) {
      throw new AdapterError(
        `the adapter carries ${key} for ${target}, which ${other} also replaces: which one wins is undefined`,
        target,
      );
    }
    if (!sameShape(old.shape, t.shape) || t.data.length !== numel(old.shape)) {
      throw new ShapeError(
        `${key} has shape ${formatShape(t.shape)} but ${target}${where(target)} is ${formatShape(old.shape)}: a carried tensor must have the shape of the one it replaces`,
        target,
      );
    }
    extras.set(target, castLike(t, old.dtype, key, target));
    source.set(target, key);
  }
  return extras;
}

/**
 * What PEFT's `merge_and_unload()` leaves in the model's state dict: every adapted weight `W ← W + ΔW` rounded
 * to its own dtype, trained biases and modules_to_save copies carried over; keys, order and dtypes unchanged.
 * Every input is checked (see {@link checkMergeInputs}) before anything is composed. The input map is not modified.
 */
export async function mergeIntoStateDict(
  adapter: VBLoRAAdapter,
  base: ReadonlyMap<string, HostTensor>,
  options: MergeStateDictOptions = {},
): Promise<Map<string, HostTensor>> {
  const backend = options.backend ?? referenceBackend;
  const merge = requireKernel(backend, 'merge');
  const fanInFanOut = adapter.config.fan_in_fan_out;
  const out = new Map(base);
  const extras = checkMergeInputs(adapter, base);
  const total = adapter.modules.size;
  let done = 0;
  for (const path of adapter.modules.keys()) {
    const pair = (await composeAdapter(adapter, { backend, modules: [path] })).get(path)!;
    const key = `${path}.weight`;
    const merged = await merge({
      weight: base.get(key)! as HostTensor<WeightDType>,
      A: pair.A,
      B: pair.B,
      fanInFanOut,
      safe: options.safe ?? false,
      adapter: adapter.name,
      module: path,
    });
    out.set(key, merged);
    options.onProgress?.(++done, total, path);
  }
  for (const [target, t] of extras) out.set(target, t);
  return out;
}

/**
 * A carried tensor in the dtype of the base tensor it replaces (e.g. an f32 modules_to_save copy over a bf16
 * base): equal dtypes as they are, floats cast through float32; anything else is refused.
 */
function castLike(t: HostTensor, dtype: DType, key: string, target: string): HostTensor {
  if (t.dtype === dtype) return t;
  if (isFloatDType(t.dtype) && isFloatDType(dtype)) return fromF32(toF32(t), dtype);
  throw new DTypeError(
    `${key} is ${upper(t.dtype)} but ${target} is ${upper(dtype)}: only float tensors can be cast to the base dtype`,
    target,
  );
}
