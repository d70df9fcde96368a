// Kernel argument/result types are generic over a tensor family (kernels/tensor-family.ts). These assertions are
// checked by the type checker (`npm run typecheck` covers test files): the default family must give exactly the
// HostTensor types the kernels had before the types became generic.
import { describe, expectTypeOf, it } from 'vitest';
import type {
  AdmixFromTopkArgs,
  ComposeLowRankArgs,
  HostTensor,
  HostTensors,
  KernelSet,
  LowRankPair,
  MergeArgs,
  TensorOf,
  TopkAdmixtureResult,
} from '../../src/index.js';

describe('tensor families', () => {
  it('HostTensors is the default family and maps each dtype to HostTensor of that dtype', () => {
    expectTypeOf<TensorOf<HostTensors, 'f32'>>().toEqualTypeOf<HostTensor<'f32'>>();
    expectTypeOf<TensorOf<HostTensors, 'bf16'>>().toEqualTypeOf<HostTensor<'bf16'>>();
    expectTypeOf<LowRankPair>().toEqualTypeOf<LowRankPair<HostTensors>>();
    expectTypeOf<LowRankPair['A']>().toEqualTypeOf<HostTensor<'f32'>>();
    expectTypeOf<TopkAdmixtureResult['indices']>().toEqualTypeOf<HostTensor<'i32'>>();
    expectTypeOf<AdmixFromTopkArgs['indices']>().toEqualTypeOf<HostTensor>();
    expectTypeOf<MergeArgs<'f16'>['weight']>().toEqualTypeOf<HostTensor<'f16'>>();
    expectTypeOf<ComposeLowRankArgs['out']>().toEqualTypeOf<LowRankPair | undefined>();
  });

  it('KernelSet keeps its HostTensor signatures', () => {
    expectTypeOf<ReturnType<KernelSet['deltaWeight']>>().toEqualTypeOf<
      HostTensor<'f32'> | Promise<HostTensor<'f32'>>
    >();
    expectTypeOf<KernelSet['merge']>().parameter(0).toHaveProperty('weight');
  });
});
