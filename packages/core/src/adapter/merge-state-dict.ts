import { referenceBackend, requireKernel, type Backend } from '../backend/index.js';
import { MODULE_KEY_PREFIX } from '../checkpoint/adapter-keys.js';
import { AdapterError, ShapeError } from '../errors.js';
import { fromF32, formatShape, isFloatDType, sameShape, toF32, type HostTensor } from '../tensor/index.js';
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

/**
 * What PEFT's `merge_and_unload()` leaves in the model's state dict: every adapted weight `W ← W + ΔW` rounded
 * to its own dtype, trained biases and modules_to_save copies carried over; keys, order and dtypes unchanged.
 * The input map is not modified.
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
  checkBaseHasModules(adapter, base.keys());
  for (const m of adapter.modules.values()) {
    const key = `${m.path}.weight`;
    const w = base.get(key)!;
    const expected = fanInFanOut ? [m.inFeatures, m.outFeatures] : [m.outFeatures, m.inFeatures];
    if (!sameShape(w.shape, expected)) {
      throw new ShapeError(
        `${key} has shape ${formatShape(w.shape)} but the adapter needs ${formatShape(expected)}` +
          ` (${fanInFanOut ? 'in, out: fan_in_fan_out' : 'out, in'})`,
        m.path,
      );
    }
  }
  const total = adapter.modules.size;
  let done = 0;
  for (const path of adapter.modules.keys()) {
    const pair = (await composeAdapter(adapter, { backend, modules: [path] })).get(path)!;
    const key = `${path}.weight`;
    const weight = base.get(key)!;
    if (!isFloatDType(weight.dtype) || weight.dtype === 'f64') {
      throw new AdapterError(`${key} has dtype ${weight.dtype}: merging needs an f32, bf16 or f16 weight`, path);
    }
    const merged = await merge({
      weight: weight as HostTensor<'f32' | 'bf16' | 'f16'>,
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
  for (const [key, t] of adapter.extraTensors) {
    const target = baseKeyOfExtra(key);
    const old = base.get(target);
    if (old === undefined) {
      throw new AdapterError(`the adapter carries ${key} but the base model has no ${target} to replace`, target);
    }
    if (!sameShape(old.shape, t.shape)) {
      throw new ShapeError(`${key} has shape ${formatShape(t.shape)} but ${target} is ${formatShape(old.shape)}`, target);
    }
    out.set(target, castLike(t, old));
  }
  return out;
}

/** Keeps the base model's dtype when a saved tensor (e.g. an f32 modules_to_save copy) replaces a base tensor. */
function castLike(t: HostTensor, like: HostTensor): HostTensor {
  if (t.dtype === like.dtype) return t;
  if (isFloatDType(t.dtype) && (like.dtype === 'f32' || like.dtype === 'bf16' || like.dtype === 'f16')) {
    return fromF32(toF32(t), like.dtype);
  }
  throw new AdapterError(`cannot carry a ${t.dtype} tensor over a ${like.dtype} base tensor`);
}
