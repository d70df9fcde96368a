/**
 * Kernels `topkAdmixture`, `admixFromTopk` and `composeLowRank` as ONNX graphs: TopK → Softmax → Gather/Mul/
 * ReduceSum, and the A/B layouts of SPEC §4.2 with Reshape/Transpose.
 * @module
 */
import {
  checkAdmixFromTopkArgs,
  checkComposeLowRankArgs,
  checkTopkAdmixtureArgs,
  isTopk,
  type KernelSet,
  type LogitsSource,
} from '@vblora/core';
import type { GraphBuilder } from '../../graph/graph-builder.js';
import type { GraphSessions } from '../graph-sessions.js';
import { admix, admixLogits, dimOf, kernelModel } from '../kernel-graph.js';
import { f32Feed, f32Out, i32Out, indexFeed, int64Feed } from '../ort-io.js';

/** `topkAdmixture` on onnxruntime. */
export function topkAdmixtureKernel(sessions: GraphSessions): KernelSet['topkAdmixture'] {
  return async (args) => {
    const { logits, bank, k } = args;
    const { vl, lead } = checkTopkAdmixtureArgs(args);
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
    return {
      indices: i32Out(out['indices'], [...lead, k]),
      weights: f32Out(out['weights'], [...lead, k]),
      vectors: f32Out(out['vectors'], [...lead, vl]),
    };
  };
}

/** `admixFromTopk` on onnxruntime. */
export function admixFromTopkKernel(sessions: GraphSessions): KernelSet['admixFromTopk'] {
  return async (args) => {
    const { weights, bank } = args;
    const { vl, lead, indices } = checkAdmixFromTopkArgs(args);
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
      {
        indices: indexFeed(indices, weights.shape),
        weights: f32Feed(weights.data, weights.shape),
        bank: f32Feed(bank.data, bank.shape),
      },
    );
    return f32Out(out['vectors'], [...lead, vl]);
  };
}

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
  return async (args) => {
    const { logitsA, logitsB, bank, k } = args;
    const { vl, r, inT, outT, indicesA, indicesB } = checkComposeLowRankArgs(args);
    const feeds: Record<string, ReturnType<typeof f32Feed>> = {
      bank: f32Feed(bank.data, bank.shape),
      k: int64Feed([k]),
    };
    const feed = (s: LogitsSource, indices: Int32Array | undefined, name: 'A' | 'B'): void => {
      if (isTopk(s)) {
        feeds[`indices${name}`] = indexFeed(indices!, s.indices.shape);
        feeds[`weights${name}`] = f32Feed(s.weights.data, s.weights.shape);
      } else {
        feeds[`logits${name}`] = f32Feed(s.data, s.shape);
      }
    };
    feed(logitsA, indicesA, 'A');
    feed(logitsB, indicesB, 'B');
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
