import type { ConformanceCase } from '../case.js';
import { goldenCases } from './golden-cases.js';
import { randomCases } from './random-cases.js';

export { goldenCases } from './golden-cases.js';
export { randomCases } from './random-cases.js';

/** The whole suite: PEFT golden cases first, then seeded random cases, grouped by kernel in contract order. */
export function allCases(): ConformanceCase[] {
  return [...goldenCases(), ...randomCases()];
}
