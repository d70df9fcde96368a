/**
 * The suite anywhere JavaScript runs (a page, a worker, Node): the golden fixtures are passed in, fetched or
 * built from bytes beforehand, since there is no file system to read the packaged ones from.
 * @module
 */
import type { Backend } from '@vblora/core';
import type { ConformanceCase } from './case.js';
import { checkConformanceWith, type ConformanceOptions, type ConformanceReport } from './check-conformance.js';
import { FixtureError } from './errors.js';
import type { GoldenFixtures } from './golden/golden-fixture.js';

/** Options of the page's {@link checkConformance}: the golden fixtures, or the cases themselves, are required. */
export type WebConformanceOptions = ConformanceOptions &
  ({ readonly fixtures: GoldenFixtures } | { readonly cases: readonly ConformanceCase[] });

function noFixtures(): never {
  throw new FixtureError('no golden fixtures given: pass fixtures (fetchGoldenFixtures(url)) or cases', 'missing', '');
}

/**
 * Runs the conformance suite against a backend in a page and returns a report; it throws a
 * BackendUnavailableError when the backend cannot run here.
 * @example
 * ```ts
 * import { checkConformance, fetchGoldenFixtures, formatReport } from '@vblora/conformance/web';
 * const fixtures = await fetchGoldenFixtures('/fixtures/peft-golden/');
 * const report = await checkConformance(myBackend, { fixtures });
 * document.body.textContent = formatReport(report);
 * ```
 */
export function checkConformance(backend: Backend, options: WebConformanceOptions): Promise<ConformanceReport> {
  return checkConformanceWith(backend, options, noFixtures);
}
