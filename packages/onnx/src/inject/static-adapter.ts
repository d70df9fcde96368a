/**
 * The `static` variant's adapter: A and B composed once and stored as float32 initializers (`vblora.<path>.A`
 * (r, in), `vblora.<path>.B` (out, r)), transposed once in the graph for the branches; the adapter's trained biases
 * and modules_to_save copies written over their base initializers (in the base dtype, as PEFT's
 * `merge_and_unload` leaves them). The model then has no inputs beyond its own, which is what runtimes that feed
 * only the inputs they know (transformers.js) need.
 * @internal
 * @module
 */
import { baseKeyOfExtra, composeAdapter, UnsupportedError, type Backend, type VBLoRAAdapter } from '@vblora/core';
import type { GraphBuilder } from '../graph/graph-builder.js';
import { castFloat } from '../host/cast-float.js';
import { transpose2d } from '../host/transpose-2d.js';
import { tensorProtoFromHost, tensorDtype } from '../model-io/tensor-data.js';
import { baseTensorTarget } from '../mapping/base-tensor-target.js';
import type { ModuleMapping } from '../mapping/map-modules.js';
import type { onnx } from '../proto.js';
import { lowRankInputs } from './input-names.js';

/** What building an adapter in adds and replaces. */
export interface StaticPlan {
  /** Per module path: the initializer names of A and B, and the graph values of Aᵀ and Bᵀ. */
  readonly modules: Map<string, { A: string; B: string; At: string; Bt: string }>;
  /** New initializers (A, B). */
  readonly initializers: onnx.ITensorProto[];
  /** Base initializer name → its replacement. */
  readonly replaced: Map<string, onnx.ITensorProto>;
  /** PyTorch keys of the replaced base tensors. */
  readonly replacedKeys: string[];
}

/**
 * Composes the adapter's modules in `paths` and plans their initializers (transposes go into `g`).
 * @throws {UnsupportedError} when an extra tensor's base is a quantized weight or lives inside a subgraph.
 */
export async function planStatic(
  mapping: ModuleMapping,
  adapter: VBLoRAAdapter,
  paths: readonly string[],
  g: GraphBuilder,
  backend: Backend | undefined,
): Promise<StaticPlan> {
  const plan: StaticPlan = { modules: new Map(), initializers: [], replaced: new Map(), replacedKeys: [] };
  const pairs = await composeAdapter(adapter, { modules: [...paths], ...(backend === undefined ? {} : { backend }) });
  for (const path of paths) {
    const { A, B } = pairs.get(path)!;
    const names = lowRankInputs(path);
    plan.initializers.push(tensorProtoFromHost(names.A, A), tensorProtoFromHost(names.B, B));
    const perm = { perm: { ints: [1, 0] } };
    const At = g.op1('Transpose', [names.A], perm, { name: `vblora/${path}/A_t` }); // (in, r)
    const Bt = g.op1('Transpose', [names.B], perm, { name: `vblora/${path}/B_t` }); // (r, out)
    plan.modules.set(path, { ...names, At, Bt });
  }
  for (const [key, t] of adapter.extraTensors) {
    const base = baseKeyOfExtra(key);
    const target = baseTensorTarget(mapping, base, t.shape);
    const init = mapping.index.initializers.get(target.initializer);
    if (init === undefined) {
      throw new UnsupportedError(
        `${base}: its initializer ${target.initializer} lives inside a subgraph; a static model can replace top-level tensors only`,
      );
    }
    const cast = castFloat(t, tensorDtype(init), key);
    plan.replaced.set(
      target.initializer,
      tensorProtoFromHost(target.initializer, target.transposed ? transpose2d(cast) : cast),
    );
    plan.replacedKeys.push(base);
  }
  return plan;
}
