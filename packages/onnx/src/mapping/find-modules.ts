/**
 * Finding the adaptable layers of an ONNX graph: every MatMul or Gemm whose second operand comes from a 2-D
 * initializer (possibly through Transpose/Cast/Identity), with its layout, bias, output and module path.
 * @module
 */
import type { DType } from '@vblora/core';
import { floatAttr, intAttr } from '../graph/attributes.js';
import type { GraphIndex } from '../graph/graph-index.js';
import { dtypeFromOnnx } from '../model-io/onnx-dtype.js';
import { tensorDims, tensorDtype } from '../model-io/tensor-data.js';
import type { onnx } from '../proto.js';
import type { GraphModule, PathSource, WeightLayout } from './graph-module.js';
import { isAnonymousName, modulePathFromScope } from './scope-path.js';
import { traceWeight, type TracedWeight } from './weight-trace.js';

/** Options of {@link findGraphModules}. */
export interface FindModulesOptions {
  /** Overrides the PEFT layer type of a module path (default: from the weight layout and name). */
  readonly kindOf?: (path: string) => 'linear' | 'conv1d' | undefined;
}

/** The dtype an operand has where it is used: the last Cast's target, or the initializer's own dtype. */
function operandDtype(traced: TracedWeight): DType {
  const cast = traced.chain.find((n) => n.opType === 'Cast');
  return cast === undefined ? tensorDtype(traced.initializer) : dtypeFromOnnx(intAttr(cast, 'to', 0), `Cast ${cast.name ?? ''}`);
}

const soleConsumer = (index: GraphIndex, tensor: string): onnx.INodeProto | null => {
  const cons = index.consumers.get(tensor) ?? [];
  return cons.length === 1 && !index.graphOutputs.has(tensor) ? cons[0]!.node : null;
};

/** A 1-D initializer of `out` elements reached from `tensor` without transposes: a bias. */
function traceBias(index: GraphIndex, tensor: string, out: number): string | null {
  const t = traceWeight(index, tensor, false);
  if (t === null) return null;
  const dims = tensorDims(t.initializer);
  const ok = (dims.length === 1 && dims[0] === out) || (dims.length === 2 && dims[0] === 1 && dims[1] === out);
  return ok ? (t.initializer.name ?? null) : null;
}

function pathOf(weight: string, node: string): { path: string | null; source: PathSource | null } {
  if (weight.endsWith('.weight') && !isAnonymousName(weight) && weight.length > '.weight'.length) {
    return { path: weight.slice(0, -'.weight'.length), source: 'initializer' };
  }
  const scoped = modulePathFromScope(node);
  return scoped === null ? { path: null, source: null } : { path: scoped, source: 'scope' };
}

/** The layer at one MatMul/Gemm node, or null when the node is not a layer with an initializer weight. */
function moduleAt(index: GraphIndex, node: onnx.INodeProto, nodeIndex: number, options: FindModulesOptions): GraphModule | null {
  const op = node.opType;
  if (op !== 'MatMul' && op !== 'Gemm') return null;
  if ((node.domain ?? '') !== '' && node.domain !== 'ai.onnx') return null;
  const [x, wIn, cIn] = node.input ?? [];
  if (x === undefined || wIn === undefined) return null;
  if (op === 'Gemm' && (intAttr(node, 'transA', 0) !== 0 || floatAttr(node, 'alpha', 1) !== 1)) return null;
  const traced = traceWeight(index, wIn);
  if (traced === null || index.initializers.has(x)) return null;
  const dims = tensorDims(traced.initializer);
  if (dims.length !== 2) return null;
  const flips = traced.transposes + (op === 'Gemm' ? intAttr(node, 'transB', 0) : 0);
  // the node computes x·M with M (in, out): the stored weight is M itself or Mᵀ
  const layout: WeightLayout = flips % 2 === 0 ? 'in_out' : 'out_in';
  const [inF, outF] = layout === 'in_out' ? [dims[0]!, dims[1]!] : [dims[1]!, dims[0]!];
  const weight = traced.initializer.name ?? '';
  const name = node.name ?? '';
  const { path, source } = pathOf(weight, name);
  const computeDtype = operandDtype(traced);
  let output = node.output?.[0] ?? '';
  let outputNodeIndex = nodeIndex;
  let bias: string | null = null;
  if (op === 'Gemm' && cIn !== undefined && cIn !== '') bias = traceBias(index, cIn, outF);
  if (op === 'MatMul') {
    const add = soleConsumer(index, output);
    if (add?.opType === 'Add') {
      const other = add.input?.[0] === output ? add.input?.[1] : add.input?.[0];
      const b = other === undefined ? null : traceBias(index, other, outF);
      if (b !== null) {
        bias = b;
        output = add.output?.[0] ?? output;
        outputNodeIndex = index.producer.get(output)?.index ?? outputNodeIndex;
      }
    }
  }
  let outputDtype = computeDtype;
  const cast = soleConsumer(index, output);
  if (cast?.opType === 'Cast' && computeDtype === 'f32') {
    const to = dtypeFromOnnx(intAttr(cast, 'to', 0), `Cast ${cast.name ?? ''}`);
    if (to === 'bf16' || to === 'f16') {
      outputDtype = to;
      output = cast.output?.[0] ?? output;
      outputNodeIndex = index.producer.get(output)?.index ?? outputNodeIndex;
    }
  }
  const guessed = source === 'initializer' && layout === 'in_out' ? 'conv1d' : 'linear';
  const kind = (path !== null ? options.kindOf?.(path) : undefined) ?? guessed;
  return {
    path,
    source,
    kind,
    weight,
    layout,
    weightDtype: tensorDtype(traced.initializer),
    inFeatures: inF,
    outFeatures: outF,
    node: name,
    nodeIndex,
    opType: op,
    input: x,
    output,
    outputNodeIndex,
    computeDtype,
    outputDtype,
    bias,
  };
}

/** Every MatMul/Gemm layer of the graph with an initializer weight, in graph order (named or not). */
export function findGraphModules(index: GraphIndex, options: FindModulesOptions = {}): GraphModule[] {
  const out: GraphModule[] = [];
  (index.graph.node ?? []).forEach((node, i) => {
    const m = moduleAt(index, node, i, options);
    if (m !== null) out.push(m);
  });
  return out;
}
