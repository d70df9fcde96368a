/**
 * `@vblora/conformance`: the numerical-parity suite every vblora.js backend must pass — PEFT golden cases and
 * seeded random cases for every kernel of the core contract — and PEFT's golden fixtures, read from the package's
 * folder on disk. The vitest registration lives in `@vblora/conformance/vitest` (`runConformance`), so this entry
 * never imports vitest; `@vblora/conformance/web` is the same kit for pages, with the fixtures passed in or fetched.
 *
 * @example
 * ```ts
 * import { checkConformance, formatReport } from '@vblora/conformance';
 * import { referenceBackend } from '@vblora/core';
 * const report = await checkConformance(referenceBackend);
 * process.stdout.write(formatReport(report));
 * ```
 * @packageDocumentation
 */
export * from './web.js';
// Node: the golden fixtures default to the packaged ones, read from disk
export { PEFT_GOLDEN_DIR, peftGoldenPath } from './fixtures.js';
export { allCases, checkConformance, goldenCases } from './node/suite.js';
export { packagedGoldenFixtures } from './node/packaged-fixtures.js';
