/**
 * The CPU backend's `merge` and `unmerge` kernels: argument checks and messages of the reference kernels, the
 * arithmetic in WebAssembly SIMD (float32 and bfloat16) or in the plain-JS row-block loop (float16).
 * @module
 */
import {
  checkMergeArgs,
  type HostTensor,
  type MergeArgs,
  nonFiniteMergeError,
  NumericalError,
  tensor,
  type WeightDType,
} from '@vblora/core';
import type { CpuInstance } from './cpu-instance.js';
import { mergeRowBlock } from './merge-row-block.js';
import { firstNonFinite, mergeRowsWasm } from './merge-rows.js';
import { rowFactors } from './row-factors.js';

/** W ± B·A on the CPU kernels, returning a new tensor of the weight's dtype. */
export function cpuMerge<D extends WeightDType>(
  inst: CpuInstance,
  args: MergeArgs<D>,
  sign: 1 | -1,
  kernel: 'merge' | 'unmerge',
): HostTensor<D> {
  const { weight, A, B, fanInFanOut = false, safe = false, adapter = 'default', module } = args;
  const { r, inF, outF } = checkMergeArgs(args, kernel);
  const want = fanInFanOut ? [inF, outF] : [outF, inF];
  const n = weight.data.length;
  if (weight.dtype === 'f16') {
    const bytes = n * 2;
    const input = new ArrayBuffer(bytes);
    new Uint8Array(input).set(new Uint8Array(weight.data.buffer, weight.data.byteOffset, bytes));
    const output = new ArrayBuffer(bytes);
    try {
      mergeRowBlock({
        dtype: 'f16',
        shape: [want[0]!, want[1]!],
        input,
        output,
        A: A.data,
        B: B.data,
        r,
        fanInFanOut,
        sign,
        safe,
        adapter,
        module: module ?? '',
        r0: 0,
        r1: want[0]!,
      });
    } catch (err) {
      if (err instanceof NumericalError)
        throw nonFiniteMergeError(adapter, module, firstNonFinite(new Uint16Array(output), 'f16'));
      throw err;
    }
    return tensor(weight.dtype, weight.shape, new Uint16Array(output) as HostTensor<D>['data']) as HostTensor<D>;
  }
  const f = rowFactors(A.data, B.data, r, inF, outF, fanInFanOut);
  const dtype = weight.dtype as 'f32' | 'bf16';
  const bytesPer = dtype === 'f32' ? 4 : 2;
  const [w, vec, coef] = inst.layout([n * bytesPer, f.vec.byteLength, f.coef.byteLength]);
  inst.u8(w!, n * bytesPer).set(new Uint8Array(weight.data.buffer, weight.data.byteOffset, n * bytesPer));
  inst.f32(vec!, f.vec.length).set(f.vec);
  inst.f32(coef!, f.coef.length).set(f.coef);
  const bad = mergeRowsWasm(inst, {
    dtype,
    src: w!,
    dst: w!,
    vec: vec!,
    coef: coef!,
    rows: f.rows,
    cols: f.cols,
    r,
    unmerge: sign === -1,
  });
  const data =
    dtype === 'f32'
      ? new Float32Array(inst.memory.buffer, w!, n).slice()
      : new Uint16Array(inst.memory.buffer, w!, n).slice();
  if (safe && bad) throw nonFiniteMergeError(adapter, module, firstNonFinite(data, dtype));
  return tensor(weight.dtype, weight.shape, data as HostTensor<D>['data']) as HostTensor<D>;
}
