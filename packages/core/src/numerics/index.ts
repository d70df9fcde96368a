/**
 * Numerics: tolerance-aware tensor comparison and the seeded random generator.
 * @module
 */
export { compareTensors, formatMismatch, ulpsF32, ulpsBf16, ulpsF16 } from './compare.js';
export type { Tolerance, ElementDiff, CompareReport } from './compare.js';
export { createRng } from './rng.js';
export type { Rng } from './rng.js';
