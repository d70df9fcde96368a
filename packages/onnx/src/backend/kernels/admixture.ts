/**
 * Kernels `topkAdmixture`, `admixFromTopk` and `composeLowRank` as ONNX graphs: TopK → Softmax → Gather/Mul/
 * ReduceSum, and the A/B layouts of SPEC §4.2 with Reshape/Transpose.
 * @module
 */
import { formatShape, ShapeError, type KernelSet, type LogitsSource, type TopkForm } from '@vblora/core';
import type { GraphBuilder } from '../../graph/graph-builder.js';
import type { GraphSessions } from '../graph-sessions.js';
import { admix, admixLogits, dimOf, kernelModel } from '../kernel-graph.js';
import { f32Feed, f32Out, i32Out, indexFeed, int64Feed } from '../ort-io.js';
import { checkBank, checkK, requireF32 } from './checks.js';

/** `topkAdmixture` on onnxruntime. */
export function topkAdmixtureKernel(sessions: GraphSessions): KernelSet['topkAdmixture'] {
  return async ({ logits, bank, k }) => {
    const K = 'topkAdmixture';
    requireF32(logits, 'logits', K);
    const [nv, vl] = checkBank(bank, K);
    if (logits.shape.length < 1 || logits.shape.at(-1) !== nv) {
      throw new ShapeError(`${K}: logits must have shape (..., nv=${nv}), got ${formatShape(logits.shape)}`, 'logits');
    }
    checkK(k, nv, K);
    const out = await sessions.run(
      'topkAdmixture',
      () =>
        kernelModel('topkAdmixture', (g) => {
          g.input('logits', 'f32');
          g.input('bank', 'f32', [null, null]);
          g.input('k', 'i64', [1]);
          const [vectors, w, idx] = admixLogits(g, 'bank', 'logits', 'k');
          g.op('Cast', [idx], { to: { i: 6 } }, { outputs: ['indices'] });
          g.op('Identity', [w], {}, { outputs: ['weights'] });
          g.op('Identity', [vectors], {}, { outputs: ['vectors'] });
          g.output('indices', 'i32');
          g.output('weights', 'f32');
          g.output('vectors', 'f32');
        }),
      { logits: f32Feed(logits.data, logits.shape), bank: f32Feed(bank.data, bank.shape), k: int64Feed([k]) },
    );
    const lead = logits.shape.slice(0, -1);
    return {
      indices: i32Out(out['indices'], [...lead, k]),
      weights: f32Out(out['weights'], [...lead, k]),
      vectors: f32Out(out['vectors'], [...lead, vl]),
    };
  };
}

/** `admixFromTopk` on onnxruntime. */
export function admixFromTopkKernel(sessions: GraphSessions): KernelSet['admixFromTopk'] {
  return async ({ indices, weights, bank }) => {
    const K = 'admixFromTopk';
    requireF32(weights, 'weights', K);
    const [nv, vl] = checkBank(bank, K);
    if (indices.shape.length < 1 || formatShape(indices.shape) !== formatShape(weights.shape)) {
      throw new ShapeError(`${K}: weights ${formatShape(weights.shape)} must have the shape of indices ${formatShape(indices.shape)}`, 'weights');
    }
    const out = await sessions.run(
      'admixFromTopk',
      () =>
        kernelModel('admixFromTopk', (g) => {
          g.input('indices', 'i32');
          g.input('weights', 'f32');
          g.input('bank', 'f32', [null, null]);
          g.op('Identity', [admix(g, 'bank', 'indices', 'weights')], {}, { outputs: ['vectors'] });
          g.output('vectors', 'f32');
        }),
      { indices: indexFeed(indices, nv, 'indices', K), weights: f32Feed(weights.data, weights.shape), bank: f32Feed(bank.data, bank.shape) },
    );
    return f32Out(out['vectors'], [...indices.shape.slice(0, -1), vl]);
  };
}

const isTopk = (s: LogitsSource): s is TopkForm => 'indices' in s;

/** Declares the inputs of one side and returns its sub-vectors. */
function side(g: GraphBuilder, name: 'A' | 'B', dense: boolean): string {
  if (dense) {
    g.input(`logits${name}`, 'f32', [null, null, null]);
    return admixLogits(g, 'bank', `logits${name}`, 'k')[0];
  }
  g.input(`indices${name}`, 'i32', [null, null, null]);
  g.input(`weights${name}`, 'f32', [null, null, null]);
  return admix(g, 'bank', `indices${name}`, `weights${name}`);
}

/** `composeLowRank` on onnxruntime: dense logits or top-k forms on either side. */
export function composeLowRankKernel(sessions: GraphSessions): KernelSet['composeLowRank'] {
  return async ({ logitsA, logitsB, bank, k }) => {
    const K = 'composeLowRank';
    const [nv, vl] = checkBank(bank, K);
    checkK(k, nv, K);
    const feeds: Record<string, ReturnType<typeof f32Feed>> = { bank: f32Feed(bank.data, bank.shape), k: int64Feed([k]) };
    const shapeOf = (s: LogitsSource, name: 'A' | 'B'): readonly number[] => {
      const shape = isTopk(s) ? s.indices.shape : s.shape;
      if (shape.length !== 3) throw new ShapeError(`${K}: logits${name} must be 3-D, got ${formatShape(shape)}`, `logits${name}`);
      if (isTopk(s)) {
        if (shape[2] !== k) throw new ShapeError(`${K}: logits${name} top-k form has k = ${shape[2]}, but k = ${k} was given`, `logits${name}`);
        if (formatShape(s.weights.shape) !== formatShape(shape)) throw new ShapeError(`${K}: logits${name} weights must match its indices`, `logits${name}`);
        feeds[`indices${name}`] = indexFeed(s.indices, nv, `logits${name}.indices`, K);
        feeds[`weights${name}`] = f32Feed(s.weights.data, s.weights.shape);
      } else {
        requireF32(s, `logits${name}`, K);
        if (shape[2] !== nv) throw new ShapeError(`${K}: logits${name} must end in nv = ${nv}, got ${formatShape(shape)}`, `logits${name}`);
        feeds[`logits${name}`] = f32Feed(s.data, shape);
      }
      return shape;
    };
    const [r, inT] = shapeOf(logitsA, 'A') as [number, number];
    const [outT, rB] = shapeOf(logitsB, 'B') as [number, number];
    if (rB !== r) throw new ShapeError(`${K}: logitsB must have r = ${r} as its second dim, got ${rB}`, 'logitsB');
    const aDense = !isTopk(logitsA);
    const bDense = !isTopk(logitsB);
    const out = await sessions.run(
      `composeLowRank:${aDense}:${bDense}`,
      () =>
        kernelModel('composeLowRank', (g) => {
          g.input('bank', 'f32', [null, null]);
          g.input('k', 'i64', [1]);
          const sA = side(g, 'A', aDense); // (r, in_t, vl)
          const sB = side(g, 'B', bDense); // (out_t, r, vl)
          g.op('Reshape', [sA, g.int64([0, -1])], {}, { outputs: ['A'] }); // (r, in_t·vl)
          const t = g.op1('Transpose', [sB], { perm: { ints: [0, 2, 1] } }); // (out_t, vl, r)
          const shape = g.op1('Concat', [g.int64([-1]), dimOf(g, sB, 1)], { axis: { i: 0 } });
          g.op('Reshape', [t, shape], {}, { outputs: ['B'] }); // (out_t·vl, r)
          g.output('A', 'f32', [null, null]);
          g.output('B', 'f32', [null, null]);
        }),
      feeds,
    );
    return { A: f32Out(out['A'], [r, inT * vl]), B: f32Out(out['B'], [outT * vl, r]) };
  };
}

