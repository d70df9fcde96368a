/** Test assertions on tensors built on compareTensors, with readable failure messages. */
import { expect } from 'vitest';
import { compareTensors, formatMismatch, type CompareReport, type Tolerance } from '../../../src/numerics/index.js';
import { tensor, type DType, type HostTensor } from '../../../src/tensor/index.js';

/** Exact comparison (floats: NaN equals NaN, −0 equals +0). */
export const EXACT: Tolerance = { atol: 0, rtol: 0 };

/** Asserts `|a − e| ≤ atol + rtol·|e|` element-wise and returns the report (for measured-error tables). */
export function expectClose(actual: HostTensor, expected: HostTensor, tol: Tolerance, label: string): CompareReport {
  const report = compareTensors(actual, expected, tol);
  if (!report.ok) expect.fail(formatMismatch(report, label));
  return report;
}

/** Keeps only the rows (over all dims but the last) for which `keep(row)` is true, as a (rows, last) tensor. */
export function selectRows<D extends DType>(t: HostTensor<D>, keep: (row: number) => boolean): HostTensor<D> {
  const last = t.shape[t.shape.length - 1]!;
  const rows = t.data.length / last;
  const kept: number[] = [];
  for (let row = 0; row < rows; row++) if (keep(row)) kept.push(row);
  const Ctor = t.data.constructor as new (n: number) => HostTensor<D>['data'];
  const out = new Ctor(kept.length * last);
  kept.forEach((row, i) => {
    for (let c = 0; c < last; c++) (out as unknown as unknown[])[i * last + c] = t.data[row * last + c];
  });
  return tensor(t.dtype, [kept.length, last], out);
}

/** Largest |value| of a float32 tensor. */
export function maxAbsOf(t: HostTensor<'f32'>): number {
  let m = 0;
  for (const v of t.data) if (Math.abs(v) > m) m = Math.abs(v);
  return m;
}
