/**
 * The suite in Node: the golden fixtures default to the packaged ones, read from disk.
 * @module
 */
import type { Backend } from '@vblora/core';
import type { ConformanceCase } from '../case.js';
import { allCases as allCasesOf, goldenCases as goldenCasesOf } from '../cases/index.js';
import { checkConformanceWith, type ConformanceOptions, type ConformanceReport } from '../check-conformance.js';
import type { GoldenFixtures } from '../golden/golden-fixture.js';
import { packagedGoldenFixtures } from './packaged-fixtures.js';

/** Every golden case of the given PEFT fixtures (default: the five packaged ones). */
export function goldenCases(fixtures: GoldenFixtures = packagedGoldenFixtures()): ConformanceCase[] {
  return goldenCasesOf(fixtures);
}

/** The whole suite: PEFT golden cases (default: the packaged fixtures) first, then seeded random cases. */
export function allCases(fixtures: GoldenFixtures = packagedGoldenFixtures()): ConformanceCase[] {
  return allCasesOf(fixtures);
}

/**
 * Runs the conformance suite against a backend and returns a report; it throws a BackendUnavailableError when
 * the backend cannot run here.
 *
 * @example
 * ```ts
 * const report = await checkConformance(myBackend);
 * if (!report.ok) console.error(report.cases.filter((c) => c.status === 'fail'));
 * ```
 */
export function checkConformance(backend: Backend, options: ConformanceOptions = {}): Promise<ConformanceReport> {
  return checkConformanceWith(backend, options, packagedGoldenFixtures);
}
