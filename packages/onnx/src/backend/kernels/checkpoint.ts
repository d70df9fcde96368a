/**
 * Kernels `logitsFromTopk` and `topkWeightsForSave` (PEFT's `save_only_topk_weights` format, SPEC §5.3–5.4) as
 * ONNX graphs. The restored weight `1 − Σ stored` is summed column by column in index order, as PEFT's float32 sum
 * for small k is, and `log` runs in float64 and is rounded once (a correctly rounded float32 log in practice).
 * @module
 */
import { formatShape, NumericalError, ShapeError, storeTopkWeights, type KernelSet } from '@vblora/core';
import type { GraphBuilder } from '../../graph/graph-builder.js';
import type { GraphSessions } from '../graph-sessions.js';
import { kernelModel, topk } from '../kernel-graph.js';
import { f32Feed, f32Out, i32Out, indexFeed, int64Feed } from '../ort-io.js';
import { checkK, requireF32 } from './checks.js';

/** Column `j` of a (R, m) tensor as (R, 1). */
const column = (g: GraphBuilder, t: string, j: number): string => g.op1('Slice', [t, g.int64([j]), g.int64([j + 1]), g.int64([1])]);

/** `logitsFromTopk` on onnxruntime. */
export function logitsFromTopkKernel(sessions: GraphSessions): KernelSet['logitsFromTopk'] {
  return async ({ indices, weightsKm1, nv, safe = false }) => {
    const K = 'logitsFromTopk';
    requireF32(weightsKm1, 'weightsKm1', K);
    const k = indices.shape.at(-1) ?? 0;
    const lead = indices.shape.slice(0, -1);
    if (indices.shape.length < 1 || formatShape(weightsKm1.shape) !== formatShape([...lead, k - 1])) {
      throw new ShapeError(`${K}: weightsKm1 must have shape ${formatShape([...lead, k - 1])}, got ${formatShape(weightsKm1.shape)}`, 'weightsKm1');
    }
    checkK(k, nv, K);
    if (safe) {
      const bad = weightsKm1.data.findIndex((v) => !(v >= 0 && v <= 1));
      if (bad >= 0) throw new NumericalError(`${K}: stored top-k weight [${bad}] = ${weightsKm1.data[bad]} is outside [0, 1]`, 'weightsKm1');
    }
    const rows = lead.reduce((a, b) => a * b, 1);
    const m = k - 1;
    const out = await sessions.run(
      `logitsFromTopk:${m}:${safe}`,
      () =>
        kernelModel(K, (g) => {
          g.input('indices', 'i32', [null, null]);
          g.input('stored', 'f32', [null, m]);
          g.input('nvShape', 'i64', [2]);
          // (R, 1), summed in index order; k = 1 stores nothing, and the sum over the empty axis is 0
          let sum = m === 0 ? g.op1('ReduceSum', ['stored', g.int64([1])], { keepdims: { i: 1 } }) : column(g, 'stored', 0);
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
        indices: indexFeed({ ...indices, shape: [rows, k] }, nv, 'indices', K),
        stored: f32Feed(weightsKm1.data, [rows, m]),
        nvShape: int64Feed([rows, nv]),
      },
    );
    return f32Out(out['logits'], [...lead, nv]);
  };
}




/** `topkWeightsForSave` on onnxruntime: TopK and Softmax in the graph, PEFT's NaN guard on the host. */
export function topkWeightsForSaveKernel(sessions: GraphSessions): KernelSet['topkWeightsForSave'] {
  return async ({ logits, k }) => {
    const K = 'topkWeightsForSave';
    requireF32(logits, 'logits', K);
    const nv = logits.shape.at(-1) ?? 0;
    if (logits.shape.length < 1) throw new ShapeError(`${K}: logits must have shape (..., nv)`, 'logits');
    checkK(k, nv, K);
    const lead = logits.shape.slice(0, -1);
    const rows = lead.reduce((a, b) => a * b, 1);
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
