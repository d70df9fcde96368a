/**
 * The CPU backend's `linear` kernel (the base layer, y = x·Wᵀ + b): the weight is copied into the instance memory
 * and transposed there to (in, out) (a fan_in_fan_out weight already is), then wat/linear.wat's linear_rows sums
 * each output in the reference's order, so the result is bit-identical to the reference kernel.
 * @module
 */
import {
  checkLinearArgs,
  fromF32,
  type HostTensor,
  type LinearArgs,
  tensor,
  toF32,
  type WeightDType,
} from '@vblora/core';
import type { CpuInstance } from './cpu-instance.js';

/** y = x·Wᵀ + b, or x·W + b with fan_in_fan_out (see the reference `linear`). */
export function cpuLinear<D extends WeightDType>(inst: CpuInstance, args: LinearArgs<D>): HostTensor<D> {
  const { x, weight, bias, fanInFanOut = false } = args;
  const { rows, inF, outF } = checkLinearArgs(args);
  const xs = toF32(x).data;
  const w = toF32(weight).data;
  const [xp, wt, raw, bp, yp] = inst.layout([
    xs.byteLength,
    w.byteLength,
    fanInFanOut ? 0 : w.byteLength,
    outF * 4,
    rows * outF * 4,
  ]);
  inst.f32(xp!, xs.length).set(xs);
  if (fanInFanOut) {
    inst.f32(wt!, w.length).set(w);
  } else {
    inst.f32(raw!, w.length).set(w);
    inst.exports.transpose(raw!, wt!, outF, inF, outF);
  }
  const b = inst.f32(bp!, outF);
  if (bias === undefined) b.fill(0);
  else b.set(toF32(bias).data);
  inst.exports.linear_rows(xp!, wt!, bp!, yp!, rows, inF, outF);
  const y = inst.f32(yp!, rows * outF).slice();
  return fromF32(tensor('f32', [...x.shape.slice(0, -1), outF], y), x.dtype) as HostTensor<D>;
}
