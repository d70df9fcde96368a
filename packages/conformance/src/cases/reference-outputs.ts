import { KERNEL_CONTRACTS, referenceBackend, requireKernel, type HostTensor, type KernelName } from '@vblora/core';
import { namedOutputs, type KernelArgs } from '../case.js';

/** The name of a kernel's single output (its contract's first output). */
export function singleOutputName(kernel: KernelName): string {
  return KERNEL_CONTRACTS[kernel].outputs[0]?.name ?? 'out';
}

/** Runs core's reference kernel and returns its outputs by name: the expected values of `reference` cases. */
export async function referenceOutputs<K extends KernelName>(
  kernel: K,
  args: KernelArgs<K>,
): Promise<Record<string, HostTensor>> {
  const fn = requireKernel(referenceBackend, kernel) as (a: KernelArgs<K>) => unknown;
  return namedOutputs(await fn(args), singleOutputName(kernel));
}
