/**
 * The conformance suite as vitest tests: one `describe` per kernel, one `it` per case.
 *
 * @example
 * ```ts
 * // test/conformance.test.ts
 * import { runConformance } from '@vblora/conformance/vitest';
 * import { myBackend } from '../src/index.js';
 * runConformance(myBackend, { knownFailures: { 'merge/rand-s302-r8-in16-out12-bf16': 'why it fails' } });
 * ```
 * @module
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError, KERNEL_NAMES, type Backend } from '@vblora/core';
import type { ConformanceOptions } from './check-conformance.js';
import { checkKnownFailures } from './check-conformance.js';
import { allCases } from './node/suite.js';
import { isFailure, runCase } from './run-case.js';

/**
 * Registers the conformance suite for `backend` with vitest. A kernel the backend lacks is skipped case by case
 * (by absence, never by name); a known failure needs a reason and fails once it starts passing.
 */
export function runConformance(backend: Backend, options: ConformanceOptions = {}): void {
  const cases = options.cases ?? allCases(options.fixtures);
  const known = options.knownFailures ?? {};
  checkKnownFailures(cases, known);
  describe(`conformance: ${backend.name}`, () => {
    beforeAll(async () => {
      if (!(await backend.isAvailable())) {
        throw new BackendUnavailableError(`backend ${backend.name} is not available here`, [
          { backend: backend.name, reason: 'isAvailable() returned false' },
        ]);
      }
      await backend.init?.();
    });
    for (const kernel of KERNEL_NAMES) {
      const mine = cases.filter((c) => c.kernel === kernel);
      if (mine.length === 0) continue;
      describe(kernel, () => {
        for (const c of mine) {
          it(c.id, async (ctx) => {
            const r = await runCase(backend, c, known[c.id]);
            if (r.status === 'skip') {
              ctx.skip(r.message);
              return;
            }
            expect(isFailure(r.status), `${r.message}\n(required: ${r.accuracy})`).toBe(false);
          });
        }
      });
    }
  });
}
