/**
 * `@vblora/conformance`: the numerical-parity suite every vblora.js backend must pass — PEFT golden cases and
 * seeded random cases for every kernel of the core contract — and PEFT's golden fixtures. The vitest
 * registration lives in `@vblora/conformance/vitest` (`runConformance`), so this entry never imports vitest.
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
export { PEFT_GOLDEN_CASES, PEFT_GOLDEN_DIR, peftGoldenPath, type PeftGoldenCase } from './fixtures.js';
export { defineCase, namedOutputs, type CaseSource, type ConformanceCase, type KernelArgs, type OutputCheck } from './case.js';
export { allCases, goldenCases, randomCases } from './cases/index.js';
export { declaredAccuracy, declaredChecks, describeCheck } from './tolerance.js';
export { compareOutput, type OutputComparison } from './compare-outputs.js';
export { isFailure, runCase, type CaseResult, type CaseStatus } from './run-case.js';
export {
  checkConformance,
  checkKnownFailures,
  type ConformanceCounts,
  type ConformanceOptions,
  type ConformanceReport,
} from './check-conformance.js';
export { formatReport } from './format-report.js';
