// WebGPU's kernel argument/result types are core's generic ones instantiated with GpuTensors (no hand-written
// copies). Checked by the type checker (`npm run typecheck` covers test files).
import type { AdmixFromTopkArgs, LowRankPair, MergeArgs, TopkAdmixtureResult } from '@vblora/core';
import { describe, expectTypeOf, it } from 'vitest';
import type {
  GpuLowRankPair,
  GpuMergeArgs,
  GpuTensor,
  GpuTensors,
  GpuTopkAdmixtureResult,
  GpuTopkForm,
  WebGpuRuntime,
} from '../src/index.js';

describe('WebGPU kernel types', () => {
  it('are instances of core generic types on GpuTensor', () => {
    expectTypeOf<GpuLowRankPair>().toEqualTypeOf<LowRankPair<GpuTensors>>();
    expectTypeOf<GpuLowRankPair['A']>().toEqualTypeOf<GpuTensor<'f32'>>();
    expectTypeOf<GpuTopkAdmixtureResult>().toEqualTypeOf<TopkAdmixtureResult<GpuTensors>>();
    expectTypeOf<GpuTopkAdmixtureResult['indices']>().toEqualTypeOf<GpuTensor<'i32'>>();
    expectTypeOf<GpuTopkForm['indices']>().toEqualTypeOf<GpuTensor<'i32'>>();
    expectTypeOf<AdmixFromTopkArgs<GpuTensors>['bank']>().toEqualTypeOf<GpuTensor<'f32'>>();
    expectTypeOf<GpuMergeArgs<'bf16'>>().toExtend<MergeArgs<'bf16', GpuTensors>>();
    expectTypeOf<GpuMergeArgs<'bf16'>['weight']>().toEqualTypeOf<GpuTensor<'bf16'>>();
  });

  it('WebGpuRuntime takes the generic argument types', () => {
    expectTypeOf<WebGpuRuntime['composeLowRank']>().returns.resolves.toEqualTypeOf<GpuLowRankPair>();
  });
});
