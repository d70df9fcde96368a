/**
 * Kernels `logitsFromTopk` and `topkWeightsForSave` (PEFT's `save_only_topk_weights` format, SPEC §5.3–5.4) as
 * ONNX graphs. The restored weight `1 − Σ stored` is summed column by column in index order, as PEFT's float32 sum
 * for small k is, and `log` runs in float64 and is rounded once (a correctly rounded float32 log in practice).
 * Home rule of the restore: core's `restoreTopkWeights` (a graph cannot call it); held to it by the conformance
 * cases `logitsFromTopk/*` in checkpoint-cases.ts (PEFT-exact and safe reload, rows summing above 1).
 * @module
 */
import { checkLogitsFromTopkArgs, checkTopkWeightsForSaveArgs, storeTopkWeights, type KernelSet } from '@vblora/core';
import type { GraphBuilder } from '../../graph/graph-builder.js';
import type { GraphSessions } from '../graph-sessions.js';
import { kernelModel, topk } from '../kernel-graph.js';
import { f32Feed, f32Out, i32Out, indexFeed, int64Feed } from '../ort-io.js';

/** Column `j` of a (R, m) tensor as (R, 1). */
const column = (g: GraphBuilder, t: string, j: number): string =>
  g.op1('Slice', [t, g.int64([j]), g.int64([j + 1]), g.int64([1])]);

/** `logitsFromTopk` on onnxruntime. */
export function logitsFromTopkKernel(sessions: GraphSessions): KernelSet['logitsFromTopk'] {
  return async (args) => {
    const { weightsKm1, nv, safe = false } = args;
    const K = 'logitsFromTopk';
    const { k, rows, lead, indices } = checkLogitsFromTopkArgs(args);
    const m = k - 1;
    const out = await sessions.run(
      `logitsFromTopk:${m}:${safe}`,
      () =>
        kernelModel(K, (g) => {
          g.input('indices', 'i32', [null, null]);
          g.input('stored', 'f32', [null, m]);
          g.input('nvShape', 'i64', [2]);
          // (R, 1), summed in index order; k = 1 stores nothing, and the sum over the empty axis is 0
          let sum =
            m === 0 ? g.op1('ReduceSum', ['stored', g.int64([1])], { keepdims: { i: 1 } }) : column(g, 'stored', 0);
          for (let j = 1; j < m; j++) sum = g.op1('Add', [sum, column(g, 'stored', j)]);
          let last = g.op1('Sub', [g.float32([1], []), sum]);
          if (safe) last = g.op1('Max', [last, g.float32([0], [])]); // clamp: no NaN row
          const w = m === 0 ? last : g.op1('Concat', ['stored', last], { axis: { i: 1 } }); // (R, k)
          const logw = g.op1('Cast', [g.op1('Log', [g.op1('Cast', [w], { to: { i: 11 } })])], { to: { i: 1 } });
          const negInf = g.op1('ConstantOfShape', ['nvShape'], {
            value: { t: { dims: [1], dataType: 1, rawData: new Uint8Array(Float32Array.of(-Infinity).buffer) } },
          });
          g.op('ScatterElements', [negInf, 'indices', logw], { axis: { i: 1 } }, { outputs: ['logits'] });
          g.output('logits', 'f32', [null, null]);
        }),
      {
        indices: indexFeed(indices, [rows, k]),
        stored: f32Feed(weightsKm1.data, [rows, m]),
        nvShape: int64Feed([rows, nv]),
      },
    );
    return f32Out(out['logits'], [...lead, nv]);
  };
}

/** `topkWeightsForSave` on onnxruntime: TopK and Softmax in the graph, PEFT's NaN guard on the host. */
export function topkWeightsForSaveKernel(sessions: GraphSessions): KernelSet['topkWeightsForSave'] {
  return async (args) => {
    const { logits } = args;
    const K = 'topkWeightsForSave';
    const { nv, k, rows, lead } = checkTopkWeightsForSaveArgs(args);
    const out = await sessions.run(
      'topkWeightsForSave',
      () =>
        kernelModel(K, (g) => {
          g.input('logits', 'f32', [null, null]);
          g.input('k', 'i64', [1]);
          const [vals, idx] = topk(g, 'logits', 'k');
          g.op('Softmax', [vals], { axis: { i: -1 } }, { outputs: ['weights'] });
          g.op('Cast', [idx], { to: { i: 6 } }, { outputs: ['indices'] });
          g.output('weights', 'f32', [null, null]);
          g.output('indices', 'i32', [null, null]);
        }),
      { logits: f32Feed(logits.data, [rows, nv]), k: int64Feed([k]) },
    );
    const w = f32Out(out['weights'], [rows, k]).data;
    const m = k - 1;
    const { stored, nudgedRows: nudged } = storeTopkWeights(w, rows, k, K);
    return {
      indices: i32Out(out['indices'], [...lead, k]),
      weightsKm1: { dtype: 'f32', shape: [...lead, m], data: stored },
      nudgedRows: nudged,
    };
  };
}
