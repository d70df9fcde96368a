/** Tensor assertions on core's compareTensors, with the measured error returned for reporting. */
import { expect } from 'vitest';
import { compareTensors, formatMismatch, type CompareReport, type HostTensor, type Tolerance } from '@vblora/core';

/** Exact comparison (NaN equals NaN, −0 equals +0). */
export const EXACT: Tolerance = { atol: 0, rtol: 0 };

/** Asserts `|a − e| ≤ atol + rtol·|e|` element-wise; returns the report. */
export function expectClose(actual: HostTensor, expected: HostTensor, tol: Tolerance, label: string): CompareReport {
  const report = compareTensors(actual, expected, tol);
  if (!report.ok) expect.fail(formatMismatch(report, label));
  return report;
}
