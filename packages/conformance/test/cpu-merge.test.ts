import { describe, expect, it } from 'vitest';
import {
  checkKernelArgs,
  defineBackend,
  tensor,
  type HostTensor,
  type KernelSet,
  type WeightDType,
} from '@vblora/core';
import { mergeRowBlock } from '@vblora/cpu/node';
import { allCases, checkConformance } from '@vblora/conformance';

/** The fast row-block merge used by `mergeCheckpoint`, wrapped as a backend so the suite can judge it. */
const fastMerge = ((args) => {
  checkKernelArgs('merge', args); // the row-block merge is plumbing behind checked inputs (checkMergeInputs)
  const w = args.weight;
  const bytes = w.data.byteLength;
  const input = new ArrayBuffer(bytes);
  new Uint8Array(input).set(new Uint8Array(w.data.buffer, w.data.byteOffset, bytes));
  const output = new ArrayBuffer(bytes);
  mergeRowBlock({
    dtype: w.dtype as WeightDType,
    shape: [w.shape[0]!, w.shape[1]!],
    input,
    output,
    A: args.A.data,
    B: args.B.data,
    r: args.A.shape[0]!,
    fanInFanOut: args.fanInFanOut === true,
    safe: args.safe === true,
    adapter: args.adapter ?? 'default',
    module: args.module ?? '',
    r0: 0,
    r1: w.shape[0]!,
  });
  const data = w.dtype === 'f32' ? new Float32Array(output) : new Uint16Array(output);
  return tensor(w.dtype, w.shape, data as never) as HostTensor<WeightDType>;
}) as KernelSet['merge'];

describe('the fast CPU merge of mergeCheckpoint', () => {
  it('passes every merge case of the conformance suite (f32, bf16, f16, fan_in_fan_out, PEFT goldens)', async () => {
    const backend = defineBackend({
      name: 'cpu-row-block-merge',
      precision: 'f32',
      isAvailable: () => true,
      kernels: { merge: fastMerge },
    });
    const report = await checkConformance(backend, { cases: allCases().filter((c) => c.kernel === 'merge') });
    expect(report.cases.filter((c) => c.status !== 'pass').map((c) => `${c.id}: ${c.message}`)).toEqual([]);
    expect(report.totals.passed).toBeGreaterThan(30);
  });
});
