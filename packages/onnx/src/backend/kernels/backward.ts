/**
 * Kernels `admixtureBackward` and `composeBackward` as ONNX graphs. The selection (TopK) runs on the float32
 * logits like the forward pass; the softmax Jacobian and the bank scatter-add run in float64 — the term
 * w_j·(dw_j − Σ w_i·dw_i) cancels, and the reference keeps float64 for the same reason — and are rounded once.
 * @module
 */
import { checkAdmixtureBackwardArgs, checkComposeBackwardArgs, type KernelSet } from '@vblora/core';
import type { GraphBuilder } from '../../graph/graph-builder.js';
import type { GraphSessions } from '../graph-sessions.js';
import { dimOf, kernelModel, topk } from '../kernel-graph.js';
import { f32Feed, f32Out, int64Feed } from '../ort-io.js';

const F64 = 11;

/**
 * Adds the backward of one logits tensor, flattened to (R, nv) with upstream gradient (R, vl): returns
 * [gradLogits (R, nv) float64, gradBank (nv, vl) float64].
 */
function backwardRows(g: GraphBuilder, logits: string, bank64: string, grad: string, k: string): [string, string] {
  const [vals, idx] = topk(g, logits, k); // (R, k)
  const w = g.op1('Softmax', [g.op1('Cast', [vals], { to: { i: F64 } })], { axis: { i: -1 } }); // (R, k)
  const g64 = g.op1('Cast', [grad], { to: { i: F64 } }); // (R, vl)
  const picked = g.op1('Gather', [bank64, idx], { axis: { i: 0 } }); // (R, k, vl)
  const gRow = g.op1('Unsqueeze', [g64, g.int64([1])]); // (R, 1, vl)
  const dw = g.op1('ReduceSum', [g.op1('Mul', [picked, gRow]), g.int64([2])], { keepdims: { i: 0 } }); // (R, k)
  const dot = g.op1('ReduceSum', [g.op1('Mul', [w, dw]), g.int64([1])], { keepdims: { i: 1 } }); // (R, 1)
  const sel = g.op1('Mul', [w, g.op1('Sub', [dw, dot])]); // (R, k)
  const zeros = g.op1('ConstantOfShape', [g.op1('Shape', [logits])], {
    value: { t: { dims: [1], dataType: F64, rawData: new Uint8Array(8) } },
  });
  const gradLogits = g.op1('ScatterElements', [zeros, idx, sel], { axis: { i: 1 } }); // (R, nv)
  const updates = g.op1('Mul', [g.op1('Unsqueeze', [w, g.int64([-1])]), gRow]); // (R, k, vl)
  const bankZeros = g.op1('ConstantOfShape', [g.op1('Shape', [bank64])], {
    value: { t: { dims: [1], dataType: F64, rawData: new Uint8Array(8) } },
  });
  const at = g.op1('Unsqueeze', [idx, g.int64([-1])]); // (R, k, 1)
  const gradBank = g.op1('ScatterND', [bankZeros, at, updates], { reduction: { s: 'add' } }); // (nv, vl)
  return [gradLogits, gradBank];
}

function f32Output(g: GraphBuilder, t: string, name: string): void {
  g.op('Cast', [t], { to: { i: 1 } }, { outputs: [name] });
  g.output(name, 'f32');
}

/** `admixtureBackward` on onnxruntime. */
export function admixtureBackwardKernel(sessions: GraphSessions): KernelSet['admixtureBackward'] {
  return async (args) => {
    const { logits, bank, k, gradVectors } = args;
    const K = 'admixtureBackward';
    const { nv, vl, rows: R } = checkAdmixtureBackwardArgs(args);
    const out = await sessions.run(
      'admixtureBackward',
      () =>
        kernelModel(K, (g) => {
          g.input('logits', 'f32', [null, null]);
          g.input('bank', 'f32', [null, null]);
          g.input('grad', 'f32', [null, null]);
          g.input('k', 'i64', [1]);
          const [gl, gb] = backwardRows(g, 'logits', g.op1('Cast', ['bank'], { to: { i: F64 } }), 'grad', 'k');
          f32Output(g, gl, 'gradLogits');
          f32Output(g, gb, 'gradBank');
        }),
      {
        logits: f32Feed(logits.data, [R, nv]),
        bank: f32Feed(bank.data, bank.shape),
        grad: f32Feed(gradVectors.data, [R, vl]),
        k: int64Feed([k]),
      },
    );
    return { gradLogits: f32Out(out['gradLogits'], logits.shape), gradBank: f32Out(out['gradBank'], [nv, vl]) };
  };
}

/** `composeBackward` on onnxruntime: dL/dA, dL/dB back through the A/B layouts, then both admixtures. */
export function composeBackwardKernel(sessions: GraphSessions): KernelSet['composeBackward'] {
  return async (args) => {
    const { logitsA, logitsB, bank, k, gradA, gradB } = args;
    const K = 'composeBackward';
    const { nv, vl } = checkComposeBackwardArgs(args);
    const out = await sessions.run(
      'composeBackward',
      () =>
        kernelModel(K, (g) => {
          g.input('logitsA', 'f32', [null, null, null]);
          g.input('logitsB', 'f32', [null, null, null]);
          g.input('bank', 'f32', [null, null]);
          g.input('gradA', 'f32', [null, null]);
          g.input('gradB', 'f32', [null, null]);
          g.input('k', 'i64', [1]);
          const bank64 = g.op1('Cast', ['bank'], { to: { i: F64 } });
          const vlDim = dimOf(g, 'bank', 1);
          const nvDim = dimOf(g, 'bank', 0);
          const flat = (t: string, last: string) =>
            g.op1('Reshape', [t, g.op1('Concat', [g.int64([-1]), last], { axis: { i: 0 } })]);
          // A[i, t·vl + c] = S_A[i, t, c]: dL/dS_A is dL/dA reshaped
          const gA = flat('gradA', vlDim); // (r·in_t, vl)
          // B[t·vl + c, i] = S_B[t, i, c]: dL/dS_B[t, i, c] = dL/dB[t·vl + c, i]
          const bShape = g.op1('Concat', [dimOf(g, 'logitsB', 0), vlDim, dimOf(g, 'logitsB', 1)], { axis: { i: 0 } });
          const gB = flat(
            g.op1('Transpose', [g.op1('Reshape', ['gradB', bShape])], { perm: { ints: [0, 2, 1] } }),
            vlDim,
          );
          const [glA, gbA] = backwardRows(g, flat('logitsA', nvDim), bank64, gA, 'k');
          const [glB, gbB] = backwardRows(g, flat('logitsB', nvDim), bank64, gB, 'k');
          f32Output(g, glA, 'gradLogitsA');
          f32Output(g, glB, 'gradLogitsB');
          f32Output(g, g.op1('Add', [gbA, gbB]), 'gradBank');
        }),
      {
        logitsA: f32Feed(logitsA.data, logitsA.shape),
        logitsB: f32Feed(logitsB.data, logitsB.shape),
        bank: f32Feed(bank.data, bank.shape),
        gradA: f32Feed(gradA.data, gradA.shape),
        gradB: f32Feed(gradB.data, gradB.shape),
        k: int64Feed([k]),
      },
    );
    return {
      gradLogitsA: f32Out(out['gradLogitsA'], logitsA.shape),
      gradLogitsB: f32Out(out['gradLogitsB'], logitsB.shape),
      gradBank: f32Out(out['gradBank'], [nv, vl]),
    };
  };
}
