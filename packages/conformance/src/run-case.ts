/**
 * Runs one case against one backend and judges it: the error or outputs it must produce, the result's form by the
 * kernel contract, inputs left unchanged, and the proof that the backend computed the result itself rather than
 * handing the work to core's reference kernel.
 * @module
 */
import {
  kernelResultProblems,
  referenceBackend,
  referenceKernelCalls,
  type Backend,
  type KernelName,
} from '@vblora/core';
import { namedOutputs, type ConformanceCase, type ExpectedError } from './case.js';
import { compareOutput } from './compare-outputs.js';
import { singleOutputName } from './cases/reference-outputs.js';
import { cloneArgs, firstChange } from './input-snapshot.js';
import { describeCheck, describeError } from './tolerance.js';

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
  /** The accuracy the case required, one clause per output (or the error it required). */
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

/** Arguments a kernel may write into by its contract: composeLowRank's `out`. */
function writable(kernel: KernelName): (path: string) => boolean {
  return kernel === 'composeLowRank' ? (p) => p === 'out' || p.startsWith('out.') : () => false;
}

function errorText(err: unknown): { name: string; message: string } {
  const e = err as { name?: unknown; message?: unknown } | null;
  const name = typeof e?.name === 'string' ? e.name : 'a non-Error value';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return { name, message };
}

function judgeError(who: string, want: ExpectedError, thrown: unknown, threw: boolean): string | undefined {
  if (!threw) return `${who} returned a result, but it must fail: it ${describeError(want)}`;
  const got = errorText(thrown);
  if (got.name === want.name && want.message.test(got.message)) return undefined;
  return `${who} threw ${got.name}: ${got.message}\n  but it ${describeError(want)}`;
}

/** Runs `c` on `backend`; `knownFailure` is the documented reason when the case is expected to fail. */
export async function runCase(backend: Backend, c: ConformanceCase, knownFailure?: string): Promise<CaseResult> {
  const base = { id: c.id, kernel: c.kernel, source: c.source, about: c.about };
  const kernel = backend.kernels[c.kernel] as ((args: unknown) => unknown) | undefined;
  if (kernel === undefined) {
    return {
      ...base,
      status: 'skip',
      message: `${backend.name} does not implement ${c.kernel}`,
      accuracy: '',
      maxAbs: {},
      ms: 0,
    };
  }
  const who = `${backend.name}.${c.kernel}`;
  // expected values and checks are computed before the measured call: they may run reference kernels
  const wantError = c.throws === undefined ? undefined : await c.throws();
  const expected = wantError === undefined ? await c.expected() : {};
  const checks = wantError === undefined ? c.checks(backend.precision) : {};
  const args = c.args();
  const given = cloneArgs(args); // the backend's private copy; `args` stays the snapshot
  const accuracy =
    wantError !== undefined
      ? describeError(wantError)
      : Object.entries(checks)
          .map(([name, check]) => describeCheck(name, check))
          .join('; ');
  const before = referenceKernelCalls(c.kernel);
  const t0 = performance.now();
  let result: unknown;
  let thrown: unknown;
  let threw = false;
  try {
    result = await kernel(given);
  } catch (err) {
    thrown = err;
    threw = true;
  }
  const ms = performance.now() - t0;
  const delegated = backend !== referenceBackend && referenceKernelCalls(c.kernel) !== before;

  const problems: string[] = [];
  const maxAbs: Record<string, number> = {};
  const changed = firstChange(args, given, '', writable(c.kernel));
  if (changed !== undefined)
    problems.push(`${who} wrote into its argument: ${changed} (a kernel must leave its inputs unchanged)`);
  if (delegated) {
    problems.push(
      `${who} called core's reference ${c.kernel}: a backend must compute its results itself (silent fallback)`,
    );
  } else if (wantError !== undefined) {
    const wrong = judgeError(who, wantError, thrown, threw);
    if (wrong !== undefined) problems.push(wrong);
  } else if (threw) {
    const e = errorText(thrown);
    problems.push(`${who} threw ${e.name}: ${e.message}`);
  } else {
    // the contract's form (core's kernelResultProblems): one tensor or an object of them, dtypes and shapes
    const form = kernelResultProblems(c.kernel, args as never, result).map((p) => `${backend.name}.${p.message}`);
    problems.push(...form);
    if (form.length === 0) {
      const outputs = namedOutputs(result, singleOutputName(c.kernel));
      for (const [name, e] of Object.entries(expected)) {
        const check = checks[name];
        if (check === undefined) continue;
        const cmp = compareOutput(name, outputs[name], e, check);
        maxAbs[name] = cmp.maxAbs;
        if (!cmp.ok) problems.push(cmp.message);
      }
    }
  }
  const failed = problems.length > 0;
  if (knownFailure !== undefined) {
    return failed
      ? { ...base, status: 'known-failure', message: `known failure: ${knownFailure}`, accuracy, maxAbs, ms }
      : {
          ...base,
          status: 'unexpected-pass',
          message: `listed as a known failure (${knownFailure}) but it passes: remove it from knownFailures`,
          accuracy,
          maxAbs,
          ms,
        };
  }
  return { ...base, status: failed ? 'fail' : 'pass', message: problems.join('\n'), accuracy, maxAbs, ms };
}
