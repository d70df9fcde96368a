/**
 * Banks that stay unchanged for the duration of one adapter-level call (composeAdapter, mergeIntoStateDict):
 * those calls pass their own wrapper of the bank to every module's kernel, marked here, so a backend may copy it
 * once per call instead of once per module. A bank passed directly to a kernel is never marked, so a backend
 * reads it afresh every time (callers may change it in place between calls).
 * @internal
 * @module
 */
import type { HostTensor } from '../tensor/host-tensor.js';

const STABLE = new WeakSet<HostTensor>();

/** A new wrapper of `bank` (same data) that backends may treat as unchanged while the caller holds it. */
export function stableBank(bank: HostTensor<'f32'>): HostTensor<'f32'> {
  const wrapper: HostTensor<'f32'> = { dtype: bank.dtype, shape: bank.shape, data: bank.data };
  STABLE.add(wrapper);
  return wrapper;
}

/** True for a wrapper made by {@link stableBank}. */
export function isStableBank(bank: HostTensor): boolean {
  return STABLE.has(bank);
}
