/**
 * `@vblora/conformance/web`: the conformance kit for any JavaScript platform — pages, workers, Node — with no
 * Node built-in in its import graph. The PEFT golden fixtures are passed in as bytes
 * ({@link goldenFixturesFromFiles}) or fetched from a copy of the package's `fixtures/peft-golden/` folder
 * ({@link fetchGoldenFixtures}); everything else is the kit of `@vblora/conformance`.
 *
 * @example
 * ```ts
 * import { referenceBackend } from '@vblora/core';
 * import { checkConformance, fetchGoldenFixtures, formatReport } from '@vblora/conformance/web';
 * const fixtures = await fetchGoldenFixtures('/fixtures/peft-golden/');
 * const report = await checkConformance(referenceBackend, { fixtures });
 * console.log(formatReport(report));
 * ```
 * @packageDocumentation
 */
export { FixtureError } from './errors.js';
export { GOLDEN_CASE_FILES, PEFT_GOLDEN_CASES, type GoldenCaseFile, type PeftGoldenCase } from './golden/names.js';
export {
  goldenFixtureFromFiles,
  type GoldenFileReader,
  type GoldenFixture,
  type GoldenFixtures,
} from './golden/golden-fixture.js';
export {
  fetchGoldenFixtures,
  goldenFilePaths,
  goldenFixturesFromFiles,
  type FetchGoldenOptions,
  type FetchLike,
  type GoldenFiles,
} from './golden/from-files.js';
export {
  defineCase,
  isTensor,
  namedOutputs,
  type CaseSource,
  type ConformanceCase,
  type ExpectedError,
  type KernelArgs,
  type OutputCheck,
} from './case.js';
export { allCases, goldenCases, randomCases, referenceCases } from './cases/index.js';
export { errorCase, referenceCase, type CheckBuilder } from './cases/reference-case.js';
export { declaredAccuracy, declaredChecks, describeCheck, describeError } from './tolerance.js';
export { compareOutput, type OutputComparison } from './compare-outputs.js';
export { isFailure, runCase, type CaseResult, type CaseStatus } from './run-case.js';
export {
  checkKnownFailures,
  type ConformanceCounts,
  type ConformanceOptions,
  type ConformanceReport,
} from './check-conformance.js';
export { checkConformance, type WebConformanceOptions } from './web-suite.js';
export { formatReport } from './format-report.js';
export {
  GENERATE_LOGIT_TOLERANCES,
  WHOLE_MODEL_TOLERANCES,
  type GenerateDtype,
  type WholeModelToleranceName,
} from './tolerances/whole-model.js';
