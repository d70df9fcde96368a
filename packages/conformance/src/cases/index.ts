import type { ConformanceCase } from '../case.js';
import type { GoldenFixtures } from '../golden/golden-fixture.js';
import { goldenCases } from './golden-cases.js';
import { randomCases } from './random-cases.js';

export { goldenCases } from './golden-cases.js';
export { randomCases } from './random-cases.js';

/** The whole suite for the given golden fixtures: PEFT golden cases first, then seeded random cases. */
export function allCases(fixtures: GoldenFixtures): ConformanceCase[] {
  return [...goldenCases(fixtures), ...randomCases()];
}
