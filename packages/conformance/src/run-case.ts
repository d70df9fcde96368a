/**
 * Runs one case against one backend and judges it, including the proof that the backend computed the result
 * itself rather than handing the work to core's reference kernel.
 * @module
 */
import { referenceBackend, referenceKernelCalls, type Backend, type KernelName } from '@vblora/core';
import { namedOutputs, type ConformanceCase } from './case.js';
import { compareOutput } from './compare-outputs.js';
import { singleOutputName } from './cases/reference-outputs.js';
import { describeCheck } from './tolerance.js';

/** Outcome of one case. `unexpected-pass` (a listed known failure that passed) counts as a failure. */
export type CaseStatus = 'pass' | 'fail' | 'skip' | 'known-failure' | 'unexpected-pass';

/** The result of one case, JSON-able. */
export interface CaseResult {
  readonly id: string;
  readonly kernel: KernelName;
  readonly source: string;
  readonly about: string;
  readonly status: CaseStatus;
  /** Why it failed or was skipped; empty when it passed. */
  readonly message: string;
  /** The accuracy the case required, one clause per output. */
  readonly accuracy: string;
  /** Max absolute error per output. */
  readonly maxAbs: Readonly<Record<string, number>>;
  /** Wall time of the backend's kernel call, in milliseconds. */
  readonly ms: number;
}

/** True when the result counts against the backend. */
export function isFailure(status: CaseStatus): boolean {
  return status === 'fail' || status === 'unexpected-pass';
}

/** Runs `c` on `backend`; `knownFailure` is the documented reason when the case is expected to fail. */
export async function runCase(backend: Backend, c: ConformanceCase, knownFailure?: string): Promise<CaseResult> {
  const base = { id: c.id, kernel: c.kernel, source: c.source, about: c.about };
  const kernel = backend.kernels[c.kernel] as ((args: unknown) => unknown) | undefined;
  if (kernel === undefined) {
    return { ...base, status: 'skip', message: `${backend.name} does not implement ${c.kernel}`, accuracy: '', maxAbs: {}, ms: 0 };
  }
  // expected values and checks are computed before the measured call: they may run reference kernels
  const expected = await c.expected();
  const checks = c.checks();
  const args = c.args();
  const accuracy = Object.entries(checks)
    .map(([name, check]) => describeCheck(name, check))
    .join('; ');
  const before = referenceKernelCalls(c.kernel);
  const t0 = performance.now();
  let result: unknown;
  let thrown: unknown;
  try {
    result = await kernel(args);
  } catch (err) {
    thrown = err;
  }
  const ms = performance.now() - t0;
  const delegated = backend !== referenceBackend && referenceKernelCalls(c.kernel) !== before;

  const problems: string[] = [];
  const maxAbs: Record<string, number> = {};
  if (thrown !== undefined) {
    const e = thrown as Error;
    problems.push(`the kernel threw ${e?.name ?? 'an error'}: ${e?.message ?? String(thrown)}`);
  } else if (delegated) {
    problems.push(
      `${backend.name}.${c.kernel} called core's reference ${c.kernel}: a backend must compute its results itself (silent fallback)`,
    );
  } else {
    const outputs = namedOutputs(result, singleOutputName(c.kernel));
    for (const [name, e] of Object.entries(expected)) {
      const check = checks[name];
      if (check === undefined) continue;
      const cmp = compareOutput(name, outputs[name], e, check);
      maxAbs[name] = cmp.maxAbs;
      if (!cmp.ok) problems.push(cmp.message);
    }
  }
  const failed = problems.length > 0;
  if (knownFailure !== undefined) {
    return failed
      ? { ...base, status: 'known-failure', message: `known failure: ${knownFailure}`, accuracy, maxAbs, ms }
      : { ...base, status: 'unexpected-pass', message: `listed as a known failure (${knownFailure}) but it passes: remove it from knownFailures`, accuracy, maxAbs, ms };
  }
  return { ...base, status: failed ? 'fail' : 'pass', message: problems.join('\n'), accuracy, maxAbs, ms };
}
