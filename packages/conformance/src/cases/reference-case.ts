/**
 * Builders of cases whose expectation comes from core's reference kernels: the outputs it computes, or the error
 * it throws, for the same arguments.
 * @module
 */
import { referenceBackend, requireKernel, type HostTensor, type KernelName, type Precision } from '@vblora/core';
import { defineCase, type ConformanceCase, type ExpectedError, type KernelArgs, type OutputCheck } from '../case.js';
import { declaredChecks } from '../tolerance.js';
import { referenceOutputs } from './reference-outputs.js';

/** Custom checks of a case: from its expected outputs, its arguments and the backend's precision. */
export type CheckBuilder<K extends KernelName> = (
  e: Record<string, HostTensor>,
  a: KernelArgs<K>,
  precision: Precision,
) => Record<string, OutputCheck>;

/** A case compared with the reference kernel's outputs (id prefixed with the kernel). */
export function referenceCase<K extends KernelName>(
  kernel: K,
  id: string,
  about: string,
  args: () => KernelArgs<K>,
  checks?: CheckBuilder<K>,
): ConformanceCase<K> {
  let memo: Record<string, HostTensor> | undefined;
  return defineCase({
    id: `${kernel}/${id}`,
    kernel,
    source: 'reference',
    about,
    args,
    expected: async () => (memo ??= await referenceOutputs(kernel, args())),
    checks: (precision) => (checks ?? ((e, _a, p) => declaredChecks(kernel, e, p)))(memo ?? {}, args(), precision),
  });
}

/**
 * A case whose call must fail: the backend must throw an error of the class the reference kernel throws for these
 * arguments, with a message matching `message`. Building the expectation fails if the reference itself does not
 * throw such an error, so the suite can never demand an error the specification does not give.
 */
export function errorCase<K extends KernelName>(
  kernel: K,
  id: string,
  about: string,
  args: () => KernelArgs<K>,
  message: RegExp,
): ConformanceCase<K> {
  let memo: ExpectedError | undefined;
  const throws = async (): Promise<ExpectedError> => {
    if (memo !== undefined) return memo;
    const fn = requireKernel(referenceBackend, kernel) as (a: KernelArgs<K>) => unknown;
    let err: unknown;
    try {
      await fn(args());
    } catch (e) {
      err = e;
    }
    const e = err as Error | undefined;
    if (e === undefined)
      throw new Error(`case ${kernel}/${id}: the reference ${kernel} does not throw for these arguments`);
    if (!message.test(e.message)) {
      throw new Error(
        `case ${kernel}/${id}: the reference's ${e.name} message "${e.message}" does not match ${String(message)}`,
      );
    }
    return (memo = { name: e.name, message });
  };
  return defineCase({
    id: `${kernel}/${id}`,
    kernel,
    source: 'reference',
    about,
    args,
    expected: async () => ({}),
    checks: () => ({}),
    throws,
  });
}
