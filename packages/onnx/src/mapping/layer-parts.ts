/**
 * Pieces shared by every kind of layer the mapping finds: the module path from a weight name or a node scope, the
 * bias `Add` and the final `Cast` that belong to the layer's output.
 * @internal
 * @module
 */
import type { DType } from '@vblora/core';
import { intAttr } from '../graph/attributes.js';
import type { GraphIndex } from '../graph/graph-index.js';
import { dtypeFromOnnx } from '../model-io/onnx-dtype.js';
import { tensorDims } from '../model-io/tensor-data.js';
import type { onnx } from '../proto.js';
import type { PathSource } from './graph-module.js';
import { isAnonymousName, modulePathFromScope } from './scope-path.js';
import { traceWeight } from './weight-trace.js';

/** The node reading `tensor` when it is the only reader and `tensor` is not a graph output, else null. */
export function soleConsumer(index: GraphIndex, tensor: string): onnx.INodeProto | null {
  const cons = index.consumers.get(tensor) ?? [];
  return cons.length === 1 && !index.graphOutputs.has(tensor) ? cons[0]!.node : null;
}

/** A 1-D (or (1, out)) initializer of `out` elements reached from `tensor` without transposes: a bias. */
export function traceBias(index: GraphIndex, tensor: string, out: number): string | null {
  const t = traceWeight(index, tensor, false);
  if (t === null) return null;
  const dims = tensorDims(t.initializer);
  const ok = (dims.length === 1 && dims[0] === out) || (dims.length === 2 && dims[0] === 1 && dims[1] === out);
  return ok ? (t.initializer.name ?? null) : null;
}

/** Suffixes onnxruntime's quantizers append to a weight's name (`…weight_quantized`, `…weight_Q4`). */
const QUANT_SUFFIX = /(_quantized|_Q\d+(G\d+)?)$/;

/** The module path of a layer: from a PEFT-named weight (`….weight`, quantizer suffixes allowed), else the node scope. */
export function pathOf(weight: string, node: string): { path: string | null; source: PathSource | null } {
  const base = weight.replace(QUANT_SUFFIX, '');
  if (base.endsWith('.weight') && !isAnonymousName(base) && base.length > '.weight'.length) {
    return { path: base.slice(0, -'.weight'.length), source: 'initializer' };
  }
  const scoped = modulePathFromScope(node);
  return scoped === null ? { path: null, source: null } : { path: scoped, source: 'scope' };
}

/** Where a layer's output ends: its tensor, the node producing it, its dtype and the bias folded in. */
export interface LayerEnd {
  readonly output: string;
  readonly outputNodeIndex: number;
  readonly outputDtype: DType;
  readonly bias: string | null;
}

/**
 * Extends a layer's raw output over a bias `Add` (when `bias` is not known yet) and a final `Cast` from float32 to
 * bf16/f16 (mixed-precision exports), each only when it is the output's sole reader.
 */
export function layerEnd(
  index: GraphIndex,
  raw: { output: string; nodeIndex: number; dtype: DType; bias: string | null; outFeatures: number; foldAdd: boolean },
): LayerEnd {
  let output = raw.output;
  let outputNodeIndex = raw.nodeIndex;
  let bias = raw.bias;
  if (raw.foldAdd && bias === null) {
    const add = soleConsumer(index, output);
    if (add?.opType === 'Add') {
      const other = add.input?.[0] === output ? add.input?.[1] : add.input?.[0];
      const b = other === undefined ? null : traceBias(index, other, raw.outFeatures);
      if (b !== null) {
        bias = b;
        output = add.output?.[0] ?? output;
        outputNodeIndex = index.producer.get(output)?.index ?? outputNodeIndex;
      }
    }
  }
  let outputDtype = raw.dtype;
  const cast = soleConsumer(index, output);
  if (cast?.opType === 'Cast' && raw.dtype === 'f32') {
    const to = dtypeFromOnnx(intAttr(cast, 'to', 0), `Cast ${cast.name ?? ''}`);
    if (to === 'bf16' || to === 'f16') {
      outputDtype = to;
      output = cast.output?.[0] ?? output;
      outputNodeIndex = index.producer.get(output)?.index ?? outputNodeIndex;
    }
  }
  return { output, outputNodeIndex, outputDtype, bias };
}
