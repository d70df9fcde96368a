import type { ConformanceCase } from '../case.js';
import type { GoldenFixtures } from '../golden/golden-fixture.js';
import { checkpointCases } from './checkpoint-cases.js';
import { errorCases } from './error-cases.js';
import { goldenCases } from './golden-cases.js';
import { halfPrecisionCases } from './half-precision-cases.js';
import { indexCases } from './index-cases.js';
import { mixedDTypeCases } from './mixed-dtype-cases.js';
import { nonFiniteCases } from './nonfinite-cases.js';
import { randomCases } from './random-cases.js';
import { reloadCases } from './reload-cases.js';

export { goldenCases } from './golden-cases.js';
export { randomCases } from './random-cases.js';

/**
 * The cases built from seeded inputs with reference expectations: random shapes and patterns, then the edge kinds —
 * expected errors, top-k checkpoint rules and reloads, NaN/±inf, wide and narrow index dtypes, mixed dtypes, half-precision edges.
 */
export function referenceCases(): ConformanceCase[] {
  return [
    ...randomCases(),
    ...errorCases(),
    ...checkpointCases(),
    ...reloadCases(),
    ...nonFiniteCases(),
    ...indexCases(),
    ...mixedDTypeCases(),
    ...halfPrecisionCases(),
  ];
}

/** The whole suite for the given golden fixtures: PEFT golden cases first, then the seeded reference cases. */
export function allCases(fixtures: GoldenFixtures): ConformanceCase[] {
  return [...goldenCases(fixtures), ...referenceCases()];
}
