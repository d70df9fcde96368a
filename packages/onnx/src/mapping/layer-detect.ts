/**
 * Recognising one layer at a node, in each form exporters and quantizers write:
 *
 * - float: `MatMul`/`Gemm` on an initializer (possibly through Transpose/Cast/Identity);
 * - q4: com.microsoft `MatMulNBits` (bits 4): packed uint8 B `(N, k_blocks, block_size/2)`, K and N attributes;
 * - int8, as onnxruntime's `quantize_dynamic` writes it: `DynamicQuantizeLinear(x)` → `MatMulInteger(x_q, W_q,
 *   x_zp, W_zp)` → `Cast` → `Mul(·, x_scale·W_scale)`; or com.microsoft `DynamicQuantizeMatMul(x, W_q, …)` and
 *   `MatMulIntegerToFloat(x_q, W_q, …)` (its fused forms);
 * - not adaptable, reported with a reason: `QLinearMatMul` (static quantization), a weight that comes out of
 *   `DequantizeLinear` (QDQ), `MatMulNBits` of other bit widths, `Gemm` with transA or alpha ≠ 1.
 * @internal
 * @module
 */
import type { DType } from '@vblora/core';
import { floatAttr, intAttr } from '../graph/attributes.js';
import { lookupInitializer, lookupProducer, type GraphIndex } from '../graph/graph-index.js';
import { dtypeFromOnnx } from '../model-io/onnx-dtype.js';
import { tensorDims, tensorDtype } from '../model-io/tensor-data.js';
import type { onnx } from '../proto.js';
import type { GraphModule, WeightLayout } from './graph-module.js';
import { layerEnd, soleConsumer, traceBias } from './layer-parts.js';
import { traceWeight, type TracedWeight } from './weight-trace.js';

/** What a detector finds out about a layer (the mapping adds path, kind and location). */
export type LayerCore = Pick<
  GraphModule,
  | 'weight'
  | 'layout'
  | 'weightDtype'
  | 'format'
  | 'quant'
  | 'inFeatures'
  | 'outFeatures'
  | 'opType'
  | 'input'
  | 'output'
  | 'outputNodeIndex'
  | 'computeDtype'
  | 'outputDtype'
  | 'bias'
>;

/** A layer, a node that applies a weight but cannot be adapted (with the reason), or nothing. */
export type Detected =
  | { readonly layer: LayerCore }
  | { readonly unsupported: string; readonly weight: string; readonly inFeatures: number; readonly outFeatures: number }
  | null;

const MS = 'com.microsoft';
/** What the messages list as adaptable. */
export const SUPPORTED_LAYERS =
  'MatMul/Gemm on a float initializer, MatMulNBits (4 bits), DynamicQuantizeLinear → MatMulInteger → Cast → Mul, ' +
  'DynamicQuantizeMatMul, MatMulIntegerToFloat';

const isOnnxDomain = (node: onnx.INodeProto): boolean => (node.domain ?? '') === '' || node.domain === 'ai.onnx';
const nonEmpty = (name: string | undefined): string | null => (name === undefined || name === '' ? null : name);
const unsupported = (reason: string, weight = '', inF = 0, outF = 0): Detected => ({
  unsupported: reason,
  weight,
  inFeatures: inF,
  outFeatures: outF,
});

/** The dtype an operand has where it is used: the last Cast's target, or the initializer's own dtype. */
function operandDtype(traced: TracedWeight): DType {
  const cast = traced.chain.find((n) => n.opType === 'Cast');
  return cast === undefined
    ? tensorDtype(traced.initializer)
    : dtypeFromOnnx(intAttr(cast, 'to', 0), `Cast ${cast.name ?? ''}`);
}

/** A 2-D initializer read directly (or through Identity), or null. */
function directInitializer(index: GraphIndex, tensor: string): onnx.ITensorProto | null {
  const t = traceWeight(index, tensor, false);
  if (t === null || t.chain.some((n) => n.opType !== 'Identity')) return null;
  return t.initializer;
}

/** The quantized initializer behind `tensor` when it is a `DequantizeLinear` of one (a QDQ weight), or null. */
function qdqWeight(index: GraphIndex, tensor: string): onnx.ITensorProto | null {
  const p = lookupProducer(index, tensor)?.node;
  return p?.opType === 'DequantizeLinear' ? (lookupInitializer(index, p.input?.[0] ?? '') ?? null) : null;
}

function floatLayer(index: GraphIndex, node: onnx.INodeProto, nodeIndex: number): Detected {
  const op = node.opType as 'MatMul' | 'Gemm';
  const [x, wIn, cIn] = node.input ?? [];
  if (x === undefined || wIn === undefined || lookupInitializer(index, x) !== undefined) return null;
  const traced = traceWeight(index, wIn);
  if (traced === null) {
    const q = qdqWeight(index, wIn);
    const qd = q === null ? [] : tensorDims(q);
    return q === null
      ? null
      : unsupported(
          'its weight comes out of DequantizeLinear (a QDQ-quantized model)',
          q.name ?? '',
          qd[0] ?? 0,
          qd[1] ?? 0,
        );
  }
  const dims = tensorDims(traced.initializer);
  if (dims.length !== 2) return null;
  const weight = traced.initializer.name ?? '';
  const flips = traced.transposes + (op === 'Gemm' ? intAttr(node, 'transB', 0) : 0);
  // the node computes x·M with M (in, out): the stored weight is M itself or Mᵀ
  const layout: WeightLayout = flips % 2 === 0 ? 'in_out' : 'out_in';
  const [inF, outF] = layout === 'in_out' ? [dims[0]!, dims[1]!] : [dims[1]!, dims[0]!];
  if (op === 'Gemm' && (intAttr(node, 'transA', 0) !== 0 || floatAttr(node, 'alpha', 1) !== 1)) {
    return unsupported('Gemm with transA=1 or alpha ≠ 1 is not a plain linear layer', weight, inF, outF);
  }
  const computeDtype = operandDtype(traced);
  const gemmBias = op === 'Gemm' && nonEmpty(cIn) !== null ? traceBias(index, cIn!, outF) : null;
  const end = layerEnd(index, {
    output: node.output?.[0] ?? '',
    nodeIndex,
    dtype: computeDtype,
    bias: gemmBias,
    outFeatures: outF,
    foldAdd: op === 'MatMul',
  });
  return {
    layer: {
      weight,
      layout,
      weightDtype: tensorDtype(traced.initializer),
      format: 'float',
      quant: null,
      inFeatures: inF,
      outFeatures: outF,
      opType: op,
      input: x,
      computeDtype,
      ...end,
    },
  };
}

function q4Layer(index: GraphIndex, node: onnx.INodeProto, nodeIndex: number): Detected {
  const [x, bIn, sIn, zIn, , biasIn] = node.input ?? [];
  if (x === undefined || bIn === undefined || sIn === undefined) return null;
  const K = intAttr(node, 'K', 0);
  const N = intAttr(node, 'N', 0);
  const bits = intAttr(node, 'bits', 4);
  const blockSize = intAttr(node, 'block_size', 0);
  const b = directInitializer(index, bIn);
  const weight = b?.name ?? '';
  if (b === null) return unsupported('MatMulNBits whose packed weight B is not an initializer', '', K, N);
  if (bits !== 4)
    return unsupported(`MatMulNBits with bits=${bits} (only 4-bit MatMulNBits is supported)`, weight, K, N);
  const dims = tensorDims(b);
  const kBlocks = blockSize > 0 ? Math.ceil(K / blockSize) : 0;
  if (
    K <= 0 ||
    N <= 0 ||
    blockSize < 16 ||
    (blockSize & (blockSize - 1)) !== 0 ||
    dims.length !== 3 ||
    dims[0] !== N ||
    dims[1] !== kBlocks ||
    dims[2] !== blockSize / 2
  ) {
    return unsupported(
      `MatMulNBits attributes K=${K}, N=${N}, block_size=${blockSize} do not match its packed weight ${weight} ` +
        `[${dims.join(', ')}] (expected [N, ceil(K/block_size), block_size/2])`,
      weight,
      Math.max(K, 0),
      Math.max(N, 0),
    );
  }
  const scales = directInitializer(index, sIn);
  if (scales === null) return unsupported('MatMulNBits whose scales are not an initializer', weight, K, N);
  const computeDtype = tensorDtype(scales);
  const bias = nonEmpty(biasIn) === null ? null : traceBias(index, biasIn!, N);
  const end = layerEnd(index, {
    output: node.output?.[0] ?? '',
    nodeIndex,
    dtype: computeDtype,
    bias,
    outFeatures: N,
    foldAdd: true,
  });
  return {
    layer: {
      weight,
      layout: 'out_in',
      weightDtype: tensorDtype(b),
      format: 'q4',
      quant: { format: 'q4', bits: 4, blockSize, scales: scales.name ?? '', zeroPoints: nonEmpty(zIn) },
      inFeatures: K,
      outFeatures: N,
      opType: 'MatMulNBits',
      input: x,
      computeDtype,
      ...end,
    },
  };
}

/** The float input of the `DynamicQuantizeLinear` whose first output is `quantized`, with the node's name. */
function dynamicQuantizeInput(index: GraphIndex, quantized: string): { x: string; node: string } | null {
  const p = lookupProducer(index, quantized)?.node;
  if (p?.opType !== 'DynamicQuantizeLinear' || !isOnnxDomain(p) || p.output?.[0] !== quantized) return null;
  const x = nonEmpty(p.input?.[0]);
  return x === null ? null : { x, node: p.name ?? '' };
}

/** A 2-D 8-bit weight (K, N) read directly. */
function int8Weight(index: GraphIndex, tensor: string): { init: onnx.ITensorProto; inF: number; outF: number } | null {
  const w = directInitializer(index, tensor);
  if (w === null) return null;
  const dims = tensorDims(w);
  const dtype = tensorDtype(w);
  if (dims.length !== 2 || (dtype !== 'u8' && dtype !== 'i8')) return null;
  return { init: w, inF: dims[0]!, outF: dims[1]! };
}

/** The weight scale among the operands of the scale product `Mul(x_scale, W_scale)` (or the operand itself). */
function weightScale(index: GraphIndex, product: string): string | null {
  if (lookupInitializer(index, product) !== undefined) return product;
  const p = lookupProducer(index, product)?.node;
  if (p?.opType !== 'Mul') return null;
  return (p.input ?? []).find((i) => lookupInitializer(index, i) !== undefined) ?? null;
}

function matMulIntegerLayer(index: GraphIndex, node: onnx.INodeProto, nodeIndex: number): Detected {
  const [aIn, bIn, , bZp] = node.input ?? [];
  if (aIn === undefined || bIn === undefined) return null;
  const w = int8Weight(index, bIn);
  if (w === null) return null; // activation × activation: not a layer
  const weight = w.init.name ?? '';
  const fail = (why: string): Detected => unsupported(`MatMulInteger ${why}`, weight, w.inF, w.outF);
  const dq = dynamicQuantizeInput(index, aIn);
  if (dq === null) return fail('whose input is not quantized by DynamicQuantizeLinear (static quantization)');
  const raw = node.output?.[0] ?? '';
  const cast = soleConsumer(index, raw);
  if (cast?.opType !== 'Cast') return fail('whose int32 output is not dequantized by Cast → Mul');
  const castOut = cast.output?.[0] ?? '';
  const mul = soleConsumer(index, castOut);
  if (mul?.opType !== 'Mul') return fail('whose int32 output is not dequantized by Cast → Mul');
  const product = mul.input?.[0] === castOut ? mul.input?.[1] : mul.input?.[0];
  const scale = product === undefined ? null : weightScale(index, product);
  if (scale === null) return fail('whose dequantizing Mul has no weight scale initializer');
  const dtype = dtypeFromOnnx(intAttr(cast, 'to', 1), `Cast ${cast.name ?? ''}`);
  const mulOut = mul.output?.[0] ?? '';
  const end = layerEnd(index, {
    output: mulOut,
    nodeIndex: index.producer.get(mulOut)?.index ?? nodeIndex,
    dtype,
    bias: null,
    outFeatures: w.outF,
    foldAdd: true,
  });
  return {
    layer: {
      weight,
      layout: 'in_out',
      weightDtype: tensorDtype(w.init),
      format: 'int8',
      quant: { format: 'int8', scale, zeroPoint: nonEmpty(bZp), quantizeNode: dq.node },
      inFeatures: w.inF,
      outFeatures: w.outF,
      opType: 'MatMulInteger',
      input: dq.x,
      computeDtype: 'f32', // DynamicQuantizeLinear reads float32
      ...end,
    },
  };
}

function fusedInt8Layer(index: GraphIndex, node: onnx.INodeProto, nodeIndex: number): Detected {
  const op = node.opType as 'DynamicQuantizeMatMul' | 'MatMulIntegerToFloat';
  const inputs = node.input ?? [];
  const w = int8Weight(index, inputs[1] ?? '');
  if (w === null) return null;
  const weight = w.init.name ?? '';
  // DynamicQuantizeMatMul(A, B, b_scale, b_zp, bias); MatMulIntegerToFloat(A_q, B, a_scale, b_scale, a_zp, b_zp, bias)
  const [scaleIn, zpIn, biasIn] =
    op === 'DynamicQuantizeMatMul' ? [inputs[2], inputs[3], inputs[4]] : [inputs[3], inputs[5], inputs[6]];
  let x = nonEmpty(inputs[0]);
  let quantizeNode: string | null = null;
  if (op === 'MatMulIntegerToFloat' && x !== null) {
    const dq = dynamicQuantizeInput(index, x);
    if (dq === null)
      return unsupported(
        'MatMulIntegerToFloat whose input is not quantized by DynamicQuantizeLinear',
        weight,
        w.inF,
        w.outF,
      );
    x = dq.x;
    quantizeNode = dq.node;
  }
  const scale = nonEmpty(scaleIn);
  if (x === null || scale === null || lookupInitializer(index, scale) === undefined) {
    return unsupported(`${op} without a weight scale initializer`, weight, w.inF, w.outF);
  }
  const bias = nonEmpty(biasIn) === null ? null : traceBias(index, biasIn!, w.outF);
  const dtype = tensorDtype(lookupInitializer(index, scale)!);
  const end = layerEnd(index, {
    output: node.output?.[0] ?? '',
    nodeIndex,
    dtype,
    bias,
    outFeatures: w.outF,
    foldAdd: true,
  });
  return {
    layer: {
      weight,
      layout: 'in_out',
      weightDtype: tensorDtype(w.init),
      format: 'int8',
      quant: { format: 'int8', scale, zeroPoint: nonEmpty(zpIn), quantizeNode },
      inFeatures: w.inF,
      outFeatures: w.outF,
      opType: op,
      input: x,
      computeDtype: 'f32',
      ...end,
    },
  };
}

function qLinearMatMul(index: GraphIndex, node: onnx.INodeProto): Detected {
  const w = int8Weight(index, node.input?.[3] ?? '');
  if (w === null) return null;
  return unsupported(
    'QLinearMatMul (static quantization: activations stay quantized between layers, so there is no float output to add a branch to)',
    w.init.name ?? '',
    w.inF,
    w.outF,
  );
}

/** The layer at one node, a node that applies a weight but cannot be adapted, or null. */
export function detectLayer(index: GraphIndex, node: onnx.INodeProto, nodeIndex: number): Detected {
  const op = node.opType ?? '';
  if (isOnnxDomain(node)) {
    if (op === 'MatMul' || op === 'Gemm') return floatLayer(index, node, nodeIndex);
    if (op === 'MatMulInteger') return matMulIntegerLayer(index, node, nodeIndex);
    if (op === 'QLinearMatMul') return qLinearMatMul(index, node);
    return null;
  }
  if (node.domain !== MS) return null;
  if (op === 'MatMulNBits') return q4Layer(index, node, nodeIndex);
  if (op === 'DynamicQuantizeMatMul' || op === 'MatMulIntegerToFloat') return fusedInt8Layer(index, node, nodeIndex);
  return null;
}
