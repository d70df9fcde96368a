/**
 * Building blocks of the kernel graphs: casts in and out of the compute type, top-k selection with softmax, and
 * the bank admixture. Every graph computes in float32 (float64 for gradients) and rounds once at the end, as the
 * reference kernels do.
 * @module
 */
import type { WeightDType } from '@vblora/core';
import { GraphBuilder } from '../graph/graph-builder.js';
import type { onnx } from '../proto.js';

/** Builds a one-graph model. */
export function kernelModel(name: string, build: (g: GraphBuilder) => void): onnx.IModelProto {
  const g = new GraphBuilder('k');
  build(g);
  return g.model(name, 'vblora.js onnx backend');
}

/** Declares a float input fed as `feed` and returns its float32 view. */
export function floatInput(g: GraphBuilder, name: string, feed: 'f32' | 'f16'): string {
  g.input(name, feed);
  return g.cast(name, feed, 'f32');
}

/**
 * Declares output `name` holding float32 `y` rounded to `dtype`: f32 as is, f16 as float16, bf16 as float32
 * values rounded to bf16 (JavaScript cannot read bf16 tensors).
 */
export function roundedOutput(g: GraphBuilder, y: string, name: string, dtype: WeightDType): void {
  if (dtype === 'f16') {
    g.op('Cast', [y], { to: { i: 10 } }, { outputs: [name] });
    g.output(name, 'f16');
    return;
  }
  const rounded = dtype === 'bf16' ? g.cast(y, 'f32', 'bf16') : y;
  g.op('Cast', [rounded], { to: { i: 1 } }, { outputs: [name] });
  g.output(name, 'f32');
}

/**
 * Top-k of the last axis of float32 logits in torch's order → [selected values, int64 indices]: descending, NaN
 * highest, ties lowest index first. ONNX's TopK has no NaN rule, so it ranks a float64 key — NaN → +inf, +inf →
 * 1e308 (above every float32), the rest as is — and the selected values are gathered from the logits.
 * Home rule: core's `topkRanksAbove` / `selectTopk` (a graph cannot call it); held to it by the conformance cases
 * `topkAdmixture/rand-*-ties`, `-neg-inf`, `-nan`, `-pos-inf`, `-mixed-nonfinite` (docs/architecture.md).
 */
export function topk(g: GraphBuilder, logits: string, k: string): [string, string] {
  const x = g.cast(logits, 'f32', 'f64');
  const scalar = (v: number): string => g.init(g.fresh('c'), { dtype: 'f64', shape: [], data: Float64Array.of(v) });
  const posInf = g.op1('IsInf', [x], { detect_negative: { i: 0 }, detect_positive: { i: 1 } });
  const key = g.op1('Where', [g.op1('IsNaN', [x]), scalar(Infinity), g.op1('Where', [posInf, scalar(1e308), x])]);
  const [, idx] = g.op('TopK', [key, k], { axis: { i: -1 }, largest: { i: 1 }, sorted: { i: 1 } }, { outputs: 2 });
  return [g.op1('GatherElements', [logits, idx!], { axis: { i: -1 } }), idx!];
}

/** vectors (…, vl) = Σ_j weights[…, j]·bank[indices[…, j]] for indices/weights (…, k). */
export function admix(g: GraphBuilder, bank: string, indices: string, weights: string): string {
  const picked = g.op1('Gather', [bank, indices], { axis: { i: 0 } }); // (…, k, vl)
  const w = g.op1('Unsqueeze', [weights, g.int64([-1])]); // (…, k, 1)
  return g.op1('ReduceSum', [g.op1('Mul', [picked, w]), g.int64([-2])], { keepdims: { i: 0 } });
}

/** Sub-vectors of dense logits: top-k, softmax (float32), admixture → [vectors, weights, int64 indices]. */
export function admixLogits(g: GraphBuilder, bank: string, logits: string, k: string): [string, string, string] {
  const [vals, idx] = topk(g, logits, k);
  const w = g.op1('Softmax', [vals], { axis: { i: -1 } });
  return [admix(g, bank, idx, w), w, idx];
}

/** Dimension `i` of a tensor's shape as a (1,) int64 tensor. */
export function dimOf(g: GraphBuilder, t: string, i: number): string {
  return g.op1('Slice', [g.op1('Shape', [t]), g.int64([i]), g.int64([i + 1])]);
}
