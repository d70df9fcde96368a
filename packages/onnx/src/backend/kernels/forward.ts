/**
 * Kernels `adapterForward` and `mixedBatchForward` as ONNX graphs: y = round_x(f32(base) + (x·Aᵀ)·Bᵀ), with
 * dropout as a multiplication by core's seeded keep mask times torch's scale, and per-row adapters gathered from
 * a zero-padded stack (slot 0 is the "no adapter" zero slot).
 * @module
 */
import {
  checkAdapterForwardArgs,
  checkMixedBatchForwardArgs,
  dropoutMask,
  type HostTensor,
  type KernelSet,
  type WeightDType,
} from '@vblora/core';
import type { GraphSessions } from '../graph-sessions.js';
import { floatInput, kernelModel, roundedOutput } from '../kernel-graph.js';
import { f32Feed, feedDtype, floatFeed, floatOut } from '../ort-io.js';
import type { FeedData } from '../../runtime/stack-feeds.js';

/** `adapterForward` on onnxruntime. */
export function adapterForwardKernel(sessions: GraphSessions): KernelSet['adapterForward'] {
  return async <D extends WeightDType>(args: {
    x: HostTensor<D>;
    baseOut: HostTensor<WeightDType>;
    A: HostTensor<'f32'>;
    B: HostTensor<'f32'>;
    dropout?: { p: number; seed: number };
  }) => {
    const { x, baseOut, A, B, dropout } = args;
    const K = 'adapterForward';
    checkAdapterForwardArgs(args);
    const [fx, fb] = [feedDtype(x), feedDtype(baseOut)];
    const feeds: Record<string, FeedData> = {
      x: floatFeed(x),
      baseOut: floatFeed(baseOut),
      A: f32Feed(A.data, A.shape),
      B: f32Feed(B.data, B.shape),
    };
    if (dropout !== undefined) {
      const n = x.data.length;
      const mask = dropoutMask(n, dropout.p, dropout.seed);
      const scale = Math.fround(1 / Math.fround(1 - dropout.p)); // torch's inverted-dropout scale
      feeds['keep'] = f32Feed(
        Float32Array.from(mask, (m) => (m === 1 ? scale : 0)),
        x.shape,
      );
    }
    const out = await sessions.run(
      `adapterForward:${fx}:${fb}:${x.dtype}:${dropout !== undefined}`,
      () =>
        kernelModel(K, (g) => {
          let xf = floatInput(g, 'x', fx);
          if (dropout !== undefined) xf = g.op1('Mul', [xf, g.input('keep', 'f32')]);
          g.input('A', 'f32', [null, null]);
          g.input('B', 'f32', [null, null]);
          const h = g.op1('MatMul', [xf, g.op1('Transpose', ['A'])]); // (…, r)
          const t = g.op1('MatMul', [h, g.op1('Transpose', ['B'])]); // (…, out)
          roundedOutput(g, g.op1('Add', [floatInput(g, 'baseOut', fb), t]), 'y', x.dtype);
        }),
      feeds,
    );
    return floatOut(out['y'], baseOut.shape, x.dtype);
  };
}

/** `mixedBatchForward` on onnxruntime. */
export function mixedBatchForwardKernel(sessions: GraphSessions): KernelSet['mixedBatchForward'] {
  return async <D extends WeightDType>(args: {
    x: HostTensor<D>;
    baseOut: HostTensor<WeightDType>;
    adapters: readonly { A: HostTensor<'f32'>; B: HostTensor<'f32'> }[];
    rowAdapter: Int32Array;
  }) => {
    const { x, baseOut, adapters, rowAdapter } = args;
    const K = 'mixedBatchForward';
    const { n, inF, outF, adapters: dims } = checkMixedBatchForwardArgs(args);
    const r = Math.max(1, ...dims.map((d) => d.r));
    const slots = adapters.length + 1; // slot 0: no adapter
    const As = new Float32Array(slots * r * inF); // (slots, r, in)
    const Bs = new Float32Array(slots * outF * r); // (slots, out, r)
    adapters.forEach((a, j) => {
      const rj = dims[j]!.r;
      As.set(a.A.data, (j + 1) * r * inF);
      const at = (j + 1) * outF * r;
      for (let o = 0; o < outF; o++) for (let i = 0; i < rj; i++) Bs[at + o * r + i] = a.B.data[o * rj + i]!;
    });
    const rows = Int32Array.from(rowAdapter, (a) => a + 1);
    const [fx, fb] = [feedDtype(x), feedDtype(baseOut)];
    const out = await sessions.run(
      `mixedBatchForward:${fx}:${fb}:${x.dtype}`,
      () =>
        kernelModel(K, (g) => {
          const xf = floatInput(g, 'x', fx);
          g.input('As', 'f32', [null, null, null]);
          g.input('Bs', 'f32', [null, null, null]);
          g.input('rows', 'i32', [null]);
          const a = g.op1('Transpose', [g.op1('Gather', ['As', 'rows'], { axis: { i: 0 } })], {
            perm: { ints: [0, 2, 1] },
          }); // (n, in, r)
          const b = g.op1('Transpose', [g.op1('Gather', ['Bs', 'rows'], { axis: { i: 0 } })], {
            perm: { ints: [0, 2, 1] },
          }); // (n, r, out)
          const h = g.op1('MatMul', [g.op1('Unsqueeze', [xf, g.int64([1])]), a]); // (n, 1, r)
          const t = g.op1('Squeeze', [g.op1('MatMul', [h, b]), g.int64([1])]); // (n, out)
          roundedOutput(g, g.op1('Add', [floatInput(g, 'baseOut', fb), t]), 'y', x.dtype);
        }),
      {
        x: floatFeed(x),
        baseOut: floatFeed(baseOut),
        As: f32Feed(As, [slots, r, inF]),
        Bs: f32Feed(Bs, [slots, outF, r]),
        rows: { type: 'int32', data: rows, dims: [n] },
      },
    );
    return floatOut(out['y'], [n, outF], x.dtype);
  };
}
