/**
 * Golden-fixture helpers: adapters, summaries and tensor comparisons with stated tolerances.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import {
  compareTensors,
  formatMismatch,
  tensor,
  type HostTensor,
  type Tolerance,
  type VBLoRAAdapter,
} from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { peftGoldenPath, WHOLE_MODEL_TOLERANCES, type PeftGoldenCase } from '@vblora/conformance';
import type * as ort from 'onnxruntime-node';

/** Whole-model float32 outputs against PEFT: `WHOLE_MODEL_TOLERANCES.onnxF32` (2e-6 + 1e-5·|e|). */
export const F32_MODEL: Tolerance = WHOLE_MODEL_TOLERANCES.onnxF32;
/** bf16 whole-model outputs against PEFT: `WHOLE_MODEL_TOLERANCES.onnxBf16` (2e-2 + 2e-2·|e|). */
export const BF16_MODEL: Tolerance = WHOLE_MODEL_TOLERANCES.onnxBf16;
/** Merged float32 weights: a few f32 ulps (different but equivalent summation order of B·A). */
export const F32_WEIGHT: Tolerance = { atol: 1e-6, rtol: 1e-5 };
/** Merged bf16 weights: one bf16 ulp where the float32 sum sits on a rounding boundary. */
export const BF16_WEIGHT: Tolerance = { atol: 0, rtol: 2 ** -8 };

/** Reads a golden adapter (full logits or top-k flavour). */
export async function goldenAdapter(
  c: PeftGoldenCase,
  flavour: 'adapter_full' | 'adapter_topk' = 'adapter_full',
): Promise<VBLoRAAdapter> {
  return (await readAdapterDir(peftGoldenPath(c, flavour))).adapter;
}

/** True when the case has logits rows tied at the k-th place (torch's pick among equals is implementation-defined). */
export function hasTies(c: PeftGoldenCase): boolean {
  const text = readFileSync(peftGoldenPath(c, 'summary.json'), 'utf8').replace(/\b(NaN|-?Infinity)\b/g, 'null');
  const s = JSON.parse(text) as { rows_with_tied_topk_logits?: Record<string, unknown> };
  return Object.keys(s.rows_with_tied_topk_logits ?? {}).length > 0;
}

/** Model-output tolerance for a case (bf16 cases compute in bf16). */
export function modelTolerance(c: PeftGoldenCase): Tolerance {
  return c.includes('bf16') ? BF16_MODEL : F32_MODEL;
}

/** Asserts closeness and returns the largest absolute difference. */
export function expectClose(actual: HostTensor, expected: HostTensor, tol: Tolerance, label: string): number {
  const r = compareTensors(actual, expected, tol);
  expect(r.ok, formatMismatch(r, label)).toBe(true);
  return r.maxAbs;
}

/** An onnxruntime float32 output as a host tensor. */
export function hostOf(t: ort.Tensor): HostTensor<'f32'> {
  return tensor('f32', t.dims, t.data as Float32Array);
}
