/**
 * What kind of model an ONNX file of a model folder is, from the operators and weights it holds (not from its
 * name): float32/float16 `MatMul`/`Gemm` weights, 4-bit `MatMulNBits` (`q4`, or `q4f16` with float16 scales),
 * 8-bit dynamic quantization (`MatMulInteger` and the com.microsoft fused forms), or a layout the folder commands
 * do not handle (bitsandbytes `MatMulBnb4`, static QDQ / `QLinear*` quantization, `MatMulNBits` of other widths).
 * @module
 */
import { intAttr } from '../graph/attributes.js';
import type { OnnxModel } from '../model-io/onnx-model.js';
import { externalDataRef } from '../model-io/external-ref.js';
import { tensorByteLength, tensorDtype } from '../model-io/tensor-data.js';
import type { onnx } from '../proto.js';

/** The kind of an ONNX variant. */
export type VariantKind = 'fp32' | 'fp16' | 'bf16' | 'q4' | 'q4f16' | 'int8' | 'uint8' | 'unsupported';

/** What {@link classifyVariant} found. */
export interface VariantInfo {
  readonly kind: VariantKind;
  /** True for `q4`, `q4f16`, `int8`, `uint8`. */
  readonly quantized: boolean;
  /** Why the kind is `unsupported`, in words (empty otherwise). */
  readonly reason: string;
  /** The distinct external data locations the model's initializers name, in first-use order. */
  readonly externalData: readonly string[];
  /** Bytes of the smallest externally stored tensor (Infinity when none is). */
  readonly smallestExternal: number;
}

const MS = 'com.microsoft';
const INT8_OPS = new Set(['MatMulInteger', 'DynamicQuantizeMatMul', 'MatMulIntegerToFloat']);
const STATIC_QUANT_OPS = new Set(['QLinearMatMul', 'QLinearConv', 'DequantizeLinear', 'QGemm', 'MatMulFpQ4']);

/** Every node of a graph and of the subgraphs its nodes hold (`If` branches, loop bodies). */
function* allNodes(graph: onnx.IGraphProto): Generator<onnx.INodeProto> {
  for (const node of graph.node ?? []) {
    yield node;
    for (const a of node.attribute ?? []) {
      if (a.g !== null && a.g !== undefined) yield* allNodes(a.g);
      for (const g of a.graphs ?? []) yield* allNodes(g);
    }
  }
}

/** Every initializer of a graph and of its subgraphs. */
function* allInitializers(graph: onnx.IGraphProto): Generator<onnx.ITensorProto> {
  yield* graph.initializer ?? [];
  for (const node of graph.node ?? []) {
    for (const a of node.attribute ?? []) {
      if (a.g !== null && a.g !== undefined) yield* allInitializers(a.g);
      for (const g of a.graphs ?? []) yield* allInitializers(g);
    }
  }
}

/**
 * Classifies a decoded model of a model folder.
 * @example
 * ```ts
 * const { kind } = classifyVariant(await readOnnxModel('onnx/model_q4.onnx')); // 'q4'
 * ```
 */
export function classifyVariant(model: OnnxModel): VariantInfo {
  const graph = model.proto.graph!;
  const inits = new Map<string, onnx.ITensorProto>();
  const externalData: string[] = [];
  let smallestExternal = Infinity;
  for (const t of allInitializers(graph)) {
    inits.set(t.name ?? '', t);
    const ref = externalDataRef(t);
    if (ref === null) continue;
    if (!externalData.includes(ref.location)) externalData.push(ref.location);
    smallestExternal = Math.min(smallestExternal, tensorByteLength(t));
  }
  const producer = new Map<string, onnx.INodeProto>();
  for (const node of allNodes(graph)) for (const o of node.output ?? []) producer.set(o, node);
  // the stored dtype of a weight operand, through the Cast/Identity/Transpose nodes between it and its use
  const dtypeOf = (name: string | undefined) => {
    let at = name;
    for (let step = 0; at !== undefined && step < 8; step++) {
      const t = inits.get(at);
      if (t !== undefined) return tensorDtype(t);
      const p = producer.get(at);
      if (p === undefined || !['Cast', 'Identity', 'Transpose'].includes(p.opType ?? '')) return null;
      at = p.input?.[0];
    }
    return null;
  };
  let q4: 'q4' | 'q4f16' | null = null;
  let int8: 'int8' | 'uint8' | null = null;
  let float: 'fp32' | 'fp16' | 'bf16' = 'fp32';
  const result = (kind: VariantKind, reason = ''): VariantInfo => ({
    kind,
    quantized: kind === 'q4' || kind === 'q4f16' || kind === 'int8' || kind === 'uint8',
    reason,
    externalData,
    smallestExternal,
  });
  for (const node of allNodes(graph)) {
    const op = node.opType ?? '';
    const domain = node.domain ?? '';
    if (op === 'MatMulBnb4' && domain === MS)
      return result('unsupported', 'bitsandbytes FP4/NF4 4-bit weights (MatMulBnb4)');
    if (STATIC_QUANT_OPS.has(op)) return result('unsupported', `statically quantized layers (${op})`);
    if (op === 'MatMulNBits' && domain === MS) {
      const bits = intAttr(node, 'bits', 4);
      if (bits !== 4) return result('unsupported', `MatMulNBits with ${bits}-bit weights (only 4 bits are handled)`);
      q4 = dtypeOf(node.input?.[2]) === 'f16' ? 'q4f16' : (q4 ?? 'q4');
    } else if (INT8_OPS.has(op)) {
      int8 = dtypeOf(node.input?.[1]) === 'u8' ? 'uint8' : (int8 ?? 'int8');
    } else if ((op === 'MatMul' || op === 'Gemm') && domain === '') {
      const d = dtypeOf(node.input?.[1]);
      if (d === 'f16') float = 'fp16';
      else if (d === 'bf16' && float === 'fp32') float = 'bf16';
    }
  }
  return result(q4 ?? int8 ?? float);
}
