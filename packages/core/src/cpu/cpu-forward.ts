/**
 * The CPU backend's `adapterForward` and `mixedBatchForward` kernels: y = baseOut + (x·Aᵀ)·Bᵀ per row, with one
 * adapter or one per row, in WebAssembly SIMD and bit-identical to the reference (wat/adapter-forward.wat explains the lane
 * layout that keeps the reference's summation order). Checks and messages are the reference kernels'.
 * @module
 */
import { adapterDims, applyDropout, type AdapterForwardArgs } from '../kernels/adapter-forward.js';
import type { WeightDType } from '../kernels/contract.js';
import { mixedBatchDims, type LowRankAdapter, type MixedBatchForwardArgs } from '../kernels/mixed-batch-forward.js';
import { fromF32, toF32 } from '../tensor/convert.js';
import { tensor, type HostTensor } from '../tensor/host-tensor.js';
import type { CpuInstance } from './cpu-instance.js';

/** Row numbers grouped by adapter (counting sort; −1 first), so rows sharing an adapter run one after another. */
function byAdapter(rowAdapter: Int32Array, count: number): Int32Array {
  const start = new Int32Array(count + 2);
  for (const a of rowAdapter) start[a + 2]! += 1;
  for (let a = 1; a < start.length; a++) start[a]! += start[a - 1]!;
  const order = new Int32Array(rowAdapter.length);
  rowAdapter.forEach((a, row) => (order[start[a + 1]!++] = row));
  return order;
}

/**
 * Runs forward_rows over f32 x (n, in) and base (n, out) with the given adapters and row assignment. Each used
 * adapter is copied in as is and transposed in WebAssembly: Aᵀ (in, rp), rp = r rounded up to 4 with zero
 * padding lanes, and Bᵀ (r, out).
 */
function forwardRows(inst: CpuInstance, xs: Float32Array, base: Float32Array, n: number, inF: number, outF: number, adapters: readonly LowRankAdapter[], rowAdapter: Int32Array): Float32Array {
  const used = new Set<number>();
  for (const a of rowAdapter) if (a >= 0) used.add(a);
  const ranks = adapters.map((a, j) => (used.has(j) ? a.A.shape[0]! : 0));
  const padded = ranks.map((r) => Math.ceil(r / 4) * 4);
  const hStride = Math.max(1, ...padded) * 4;
  const scratch = Math.max(0, ...ranks.map((r) => r * Math.max(inF, outF) * 4));
  const sizes = [xs.byteLength, base.byteLength, n * outF * 4, adapters.length * 12, n * 4, n * 4, 2 * hStride, scratch, ...ranks.flatMap((r, j) => [inF * padded[j]! * 4, r * outF * 4])];
  const [xp, bp, yp, tab, ad, order, h, raw, ...ptrs] = inst.layout(sizes);
  inst.f32(xp!, xs.length).set(xs);
  inst.f32(bp!, base.length).set(base);
  inst.i32(ad!, n).set(rowAdapter);
  inst.i32(order!, n).set(byAdapter(rowAdapter, adapters.length));
  const table = inst.i32(tab!, adapters.length * 3);
  ranks.forEach((r, j) => {
    const [at, bt] = [ptrs[2 * j]!, ptrs[2 * j + 1]!];
    table.set([at, bt, r], 3 * j);
    if (r === 0) return;
    const { A, B } = adapters[j]!;
    if (padded[j] !== r) inst.f32(at, inF * padded[j]!).fill(0);
    inst.f32(raw!, A.data.length).set(A.data);
    inst.exports.transpose(raw!, at, r, inF, padded[j]!);
    inst.f32(raw!, B.data.length).set(B.data);
    inst.exports.transpose(raw!, bt, outF, r, outF);
  });
  inst.exports.forward_rows(xp!, bp!, yp!, tab!, ad!, order!, n, inF, outF, h!, hStride);
  return inst.f32(yp!, n * outF).slice();
}

/** y = baseOut + (drop(x)·Aᵀ)·Bᵀ (see the reference `adapterForward`). */
export function cpuAdapterForward<D extends WeightDType>(inst: CpuInstance, args: AdapterForwardArgs<D>): HostTensor<D> {
  const { x, baseOut, A, B, dropout } = args;
  const [rows, , inF, outF] = adapterDims(x, baseOut, A, B, 'adapterForward');
  const xs = dropout === undefined ? toF32(x).data : applyDropout(toF32(x).data, dropout); // the reference's mask
  const y = forwardRows(inst, xs, toF32(baseOut).data, rows, inF, outF, [{ A, B }], new Int32Array(rows));
  return fromF32(tensor('f32', baseOut.shape, y), x.dtype) as HostTensor<D>;
}

/** y[n] = baseOut[n] + (x[n]·A_aᵀ)·B_aᵀ with a = rowAdapter[n], −1 for none (see the reference `mixedBatchForward`). */
export function cpuMixedBatchForward<D extends WeightDType>(inst: CpuInstance, args: MixedBatchForwardArgs<D>): HostTensor<D> {
  const { n, inF, outF } = mixedBatchDims(args, 'mixedBatchForward');
  const y = forwardRows(inst, toF32(args.x).data, toF32(args.baseOut).data, n, inF, outF, args.adapters, args.rowAdapter);
  return fromF32(tensor('f32', [n, outF], y), args.x.dtype) as HostTensor<D>;
}
