/**
 * A lease's adapters were composed for the store's model description; a session (or a transformers.js controller)
 * can feed them only when its own model has the same VB-LoRA inputs.
 * @module
 */
import { AdapterError } from '@vblora/core';
import type { HotSwapInjectionInfo, InjectedModule, InjectedOverride } from '../inject/injection-info.js';
import type { AdapterLease } from './store-types.js';

const sameModule = (a: InjectedModule, b: InjectedModule): boolean =>
  a.path === b.path &&
  a.inFeatures === b.inFeatures &&
  a.outFeatures === b.outFeatures &&
  Object.keys(a.inputs).length === Object.keys(b.inputs).length &&
  Object.entries(a.inputs).every(([k, v]) => (b.inputs as Record<string, string>)[k] === v);

const sameOverride = (a: InjectedOverride, b: InjectedOverride): boolean =>
  a.key === b.key &&
  a.input === b.input &&
  a.dtype === b.dtype &&
  a.transposed === b.transposed &&
  a.shape.length === b.shape.length &&
  a.shape.every((d, i) => b.shape[i] === d);

/** True when two descriptions name the same VB-LoRA inputs with the same sizes (the same prepared feeds fit both). */
function sameInputs(a: HotSwapInjectionInfo, b: HotSwapInjectionInfo): boolean {
  return (
    a.variant === b.variant &&
    a.rowAdapterInput === b.rowAdapterInput &&
    a.bankInput === b.bankInput &&
    a.modules.length === b.modules.length &&
    a.modules.every((m, i) => sameModule(m, b.modules[i]!)) &&
    a.overrides.length === b.overrides.length &&
    a.overrides.every((o, i) => sameOverride(o, b.overrides[i]!))
  );
}

const CHECKED = new WeakMap<HotSwapInjectionInfo, WeakSet<HotSwapInjectionInfo>>();

/**
 * Checks that `lease` can be run on a model described by `info`: not released, and composed for a model with the
 * same VB-LoRA inputs (the comparison is remembered per pair of descriptions: runs of a generation repeat it).
 * @throws {AdapterError} for a released lease, or one from a store of another model.
 * @internal
 */
export function checkLeaseFits(info: HotSwapInjectionInfo, lease: AdapterLease): void {
  if (lease.released) {
    throw new AdapterError(
      `the lease of ${lease.ids.join(', ') || 'no adapter'} was released: acquire the adapters again for this run`,
    );
  }
  if (lease.info === info || CHECKED.get(info)?.has(lease.info) === true) return;
  if (!sameInputs(info, lease.info)) {
    throw new AdapterError(
      `the lease of ${lease.ids.join(', ') || 'no adapter'} comes from a store of another model (its VB-LoRA inputs ` +
        `differ: ${lease.info.variant} variant, ${lease.info.modules.length} modules; this model: ${info.variant} variant, ` +
        `${info.modules.length} modules)`,
    );
  }
  let set = CHECKED.get(info);
  if (set === undefined) CHECKED.set(info, (set = new WeakSet()));
  set.add(lease.info);
}
