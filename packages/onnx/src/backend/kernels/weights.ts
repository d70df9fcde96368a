/**
 * Kernels `deltaWeight`, `merge`, `unmerge` and `linear` as ONNX graphs: MatMul in float32, one rounding to the
 * weight's (or input's) dtype by Cast, which rounds to nearest even.
 * @module
 */
import {
  checkDeltaWeightArgs,
  checkLinearArgs,
  checkMergeArgs,
  nonFiniteMergeError,
  toF32,
  type HostTensor,
  type KernelSet,
  type MergeArgs,
  type WeightDType,
} from '@vblora/core';
import type { GraphSessions } from '../graph-sessions.js';
import { floatInput, kernelModel, roundedOutput } from '../kernel-graph.js';
import { f32Feed, f32Out, feedDtype, floatFeed, floatOut } from '../ort-io.js';

/** `deltaWeight` on onnxruntime. */
export function deltaWeightKernel(sessions: GraphSessions): KernelSet['deltaWeight'] {
  return async (args) => {
    const { A, B, fanInFanOut = false } = args;
    const { inF, outF } = checkDeltaWeightArgs(args);
    const out = await sessions.run(
      `deltaWeight:${fanInFanOut}`,
      () =>
        kernelModel('deltaWeight', (g) => {
          g.input('A', 'f32', [null, null]);
          g.input('B', 'f32', [null, null]);
          const d = g.op1('MatMul', ['B', 'A']); // (out, in)
          g.op(fanInFanOut ? 'Transpose' : 'Identity', [d], {}, { outputs: ['delta'] });
          g.output('delta', 'f32', [null, null]);
        }),
      { A: f32Feed(A.data, A.shape), B: f32Feed(B.data, B.shape) },
    );
    return f32Out(out['delta'], fanInFanOut ? [inF, outF] : [outF, inF]);
  };
}

function mergeKernel(
  sessions: GraphSessions,
  sign: 1 | -1,
): <D extends WeightDType>(args: MergeArgs<D>) => Promise<HostTensor<D>> {
  const K = sign === 1 ? 'merge' : 'unmerge';
  return async <D extends WeightDType>(args: MergeArgs<D>): Promise<HostTensor<D>> => {
    const { weight, A, B, fanInFanOut = false, safe = false, adapter = 'default', module } = args;
    checkMergeArgs(args, K);
    const feed = feedDtype(weight);
    const out = await sessions.run(
      `${K}:${weight.dtype}:${fanInFanOut}`,
      () =>
        kernelModel(K, (g) => {
          const w = floatInput(g, 'weight', feed);
          g.input('A', 'f32', [null, null]);
          g.input('B', 'f32', [null, null]);
          const product = g.op1('MatMul', ['B', 'A']); // (out, in)
          const delta = fanInFanOut ? g.op1('Transpose', [product]) : product;
          roundedOutput(g, g.op1(sign === 1 ? 'Add' : 'Sub', [w, delta]), 'merged', weight.dtype);
        }),
      { weight: floatFeed(weight), A: f32Feed(A.data, A.shape), B: f32Feed(B.data, B.shape) },
    );
    const result = floatOut(out['merged'], weight.shape, weight.dtype) as HostTensor<D>;
    if (safe) {
      const bad = toF32(result).data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw nonFiniteMergeError(adapter, module, bad);
    }
    return result;
  };
}

/** `merge` on onnxruntime. */
export const mergeOnOrt = (sessions: GraphSessions): KernelSet['merge'] => mergeKernel(sessions, 1);
/** `unmerge` on onnxruntime. */
export const unmergeOnOrt = (sessions: GraphSessions): KernelSet['unmerge'] => mergeKernel(sessions, -1);

/** `linear` on onnxruntime. */
export function linearKernel(sessions: GraphSessions): KernelSet['linear'] {
  return async <D extends WeightDType>(args: {
    x: HostTensor<D>;
    weight: HostTensor<WeightDType>;
    bias?: HostTensor<WeightDType>;
    fanInFanOut?: boolean;
  }) => {
    const { x, weight, bias, fanInFanOut = false } = args;
    const K = 'linear';
    const { outF } = checkLinearArgs(args);
    const [fx, fw] = [feedDtype(x), feedDtype(weight)];
    const fb = bias === undefined ? 'none' : feedDtype(bias);
    const feeds = {
      x: floatFeed(x),
      weight: floatFeed(weight),
      ...(bias === undefined ? {} : { bias: floatFeed(bias) }),
    };
    const out = await sessions.run(
      `linear:${fx}:${fw}:${fb}:${fanInFanOut}:${x.dtype}`,
      () =>
        kernelModel(K, (g) => {
          const xf = floatInput(g, 'x', fx);
          const wf = floatInput(g, 'weight', fw);
          let y = g.op1('MatMul', [xf, fanInFanOut ? wf : g.op1('Transpose', [wf])]);
          if (fb !== 'none') y = g.op1('Add', [y, floatInput(g, 'bias', fb)]);
          roundedOutput(g, y, 'y', x.dtype);
        }),
      feeds,
    );
    return floatOut(out['y'], [...x.shape.slice(0, -1), outF], x.dtype);
  };
}
