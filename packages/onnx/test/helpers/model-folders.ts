/**
 * Small transformers.js / Optimum model folders for the folder tests: the golden ToyLlama (torch-export style) as
 * `onnx/model.onnx`, and variants derived from it the way the quantizers write them — `model_fp16.onnx` (float16
 * weights cast up), `model_q4.onnx` (every weight MatMul → com.microsoft MatMulNBits, 4 bits, block 32),
 * `model_int8.onnx` / `model_uint8.onnx` (`quantize_dynamic`: DynamicQuantizeLinear → MatMulInteger → Cast → Mul,
 * with onnxruntime's tensor and node names) — plus config and tokenizer files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f32ArrayToF16, tensor, toF32, type HostTensor } from '@vblora/core';
import {
  readTensorData,
  tensorProtoFromHost,
  toyLlamaOnnx,
  writeOnnxModel,
  type OnnxModel,
  type onnx,
} from '@vblora/onnx';
import { readGolden } from '../fixtures/toy-models.js';
import { refQuantizeInt8, refQuantizeQ4 } from './ref-quantizers.js';

/** The golden case the folders are built from (ToyLlama, hidden 64, intermediate 128, two layers). */
export const FOLDER_CASE = 'llama_f32_vl16_nv64_top2' as const;

/** The variants a test folder can hold. */
export type TestVariant = 'fp32' | 'fp16' | 'q4' | 'q4f16' | 'int8' | 'uint8';

const FILE: Readonly<Record<TestVariant, string>> = {
  fp32: 'model.onnx',
  fp16: 'model_fp16.onnx',
  q4: 'model_q4.onnx',
  q4f16: 'model_q4f16.onnx',
  int8: 'model_int8.onnx',
  uint8: 'model_uint8.onnx',
};

/** The file name of a variant. */
export const variantFile = (v: TestVariant): string => FILE[v];

/** Config and tokenizer files (bytes chosen to catch re-encoding: key order, unicode, no final newline). */
export const CONFIG_FILES: Readonly<Record<string, string>> = {
  'config.json':
    '{"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 64, "note": "caf\\u00e9 ✓"}',
  'generation_config.json': '{\n  "bos_token_id": 1,\n  "eos_token_id": 2\n}\n',
  'tokenizer.json': '{"version":"1.0","model":{"type":"BPE","vocab":{"<s>":1,"</s>":2,"é":3}}}',
  'tokenizer_config.json': '{"bos_token": "<s>", "eos_token": "</s>"}',
  'special_tokens_map.json': '{"bos_token": "<s>"}',
};

/** The base ToyLlama (torch export style). */
export function baseToyLlama(): OnnxModel {
  return toyLlamaOnnx(readGolden(FOLDER_CASE, 'base.safetensors'), { style: 'torch' });
}

/** The 2-D float initializer weights of MatMul nodes, by name. */
function matmulWeights(graph: onnx.IGraphProto): Map<string, onnx.ITensorProto> {
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const out = new Map<string, onnx.ITensorProto>();
  for (const n of graph.node ?? []) {
    const w = inits.get(n.input?.[1] ?? '');
    if (n.opType === 'MatMul' && w !== undefined && (w.dims ?? []).length === 2) out.set(w.name ?? '', w);
  }
  return out;
}

async function floatOf(model: OnnxModel, t: onnx.ITensorProto): Promise<HostTensor<'f32'>> {
  return toF32(await readTensorData(model, t));
}

function transposed(w: HostTensor<'f32'>): Float32Array {
  const [r, c] = w.shape as [number, number];
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = w.data[i * c + j]!;
  return out;
}

function withGraph(model: OnnxModel, graph: onnx.IGraphProto, extraOpsets: onnx.IOperatorSetIdProto[] = []): OnnxModel {
  return {
    ...model,
    proto: {
      ...model.proto,
      graph,
      opsetImport: [...(model.proto.opsetImport ?? []), ...extraOpsets],
    } as onnx.ModelProto,
    ownsBytes: false,
  };
}

/** float16 weights, each cast to float32 before its MatMul (dtype kept by the merge: one f16 ulp). */
export async function fp16Variant(model: OnnxModel): Promise<OnnxModel> {
  const graph = model.proto.graph!;
  const weights = matmulWeights(graph);
  const nodes: onnx.INodeProto[] = [];
  const inits: onnx.ITensorProto[] = [];
  for (const t of graph.initializer ?? []) {
    if (!weights.has(t.name ?? '')) inits.push(t);
    else {
      const w = await floatOf(model, t);
      inits.push(tensorProtoFromHost(`${t.name}_fp16`, tensor('f16', w.shape, f32ArrayToF16(w.data))));
      nodes.push({
        opType: 'Cast',
        name: `${t.name}_cast`,
        input: [`${t.name}_fp16`],
        output: [t.name ?? ''],
        attribute: [{ name: 'to', type: 2, i: 1 }],
      });
    }
  }
  return withGraph(model, { ...graph, node: [...nodes, ...(graph.node ?? [])], initializer: inits });
}

/** Every weight MatMul as a 4-bit MatMulNBits (block 32; symmetric, or with zero points; f16 scales for q4f16). */
export async function q4Variant(
  model: OnnxModel,
  opts: { zeroPoints: boolean; f16Scales?: boolean },
): Promise<OnnxModel> {
  const graph = model.proto.graph!;
  const weights = matmulWeights(graph);
  const inits = (graph.initializer ?? []).filter((t) => !weights.has(t.name ?? ''));
  const nodes: onnx.INodeProto[] = [];
  for (const n of graph.node ?? []) {
    const wt = weights.get(n.input?.[1] ?? '');
    if (n.opType !== 'MatMul' || wt === undefined) {
      nodes.push(n);
      continue;
    }
    const w = await floatOf(model, wt); // (K, N)
    const [K, N] = w.shape as [number, number];
    const q = refQuantizeQ4(transposed(w), N, K, 32, {
      zeroPoints: opts.zeroPoints,
      rule: 'signed-max',
      f16Scales: opts.f16Scales === true,
    });
    const base = `${wt.name}_Q4`;
    const kb = Math.ceil(K / 32);
    inits.push(tensorProtoFromHost(base, tensor('u8', [N, kb, 16], q.packed)));
    inits.push(
      tensorProtoFromHost(
        `${base}_scales`,
        opts.f16Scales === true ? tensor('f16', [N * kb], f32ArrayToF16(q.scales)) : tensor('f32', [N * kb], q.scales),
      ),
    );
    const inputs = [n.input![0]!, base, `${base}_scales`];
    if (q.zeroPoints !== null) {
      inits.push(tensorProtoFromHost(`${base}_zero_points`, tensor('u8', [q.zeroPoints.length], q.zeroPoints)));
      inputs.push(`${base}_zero_points`);
    }
    nodes.push({
      opType: 'MatMulNBits',
      domain: 'com.microsoft',
      name: `${n.name}_Q4`,
      input: inputs,
      output: n.output!,
      attribute: [
        { name: 'K', type: 2, i: K },
        { name: 'N', type: 2, i: N },
        { name: 'bits', type: 2, i: 4 },
        { name: 'block_size', type: 2, i: 32 },
      ],
    });
  }
  if (opts.f16Scales === true) {
    // MatMulNBits computes in its scales' type: float16 activations in and out of each layer
    const cast = (from: string, to: string, toType: number, name: string): onnx.INodeProto => ({
      opType: 'Cast',
      name,
      input: [from],
      output: [to],
      attribute: [{ name: 'to', type: 2, i: toType }],
    });
    const out: onnx.INodeProto[] = [];
    for (const n of nodes) {
      if (n.opType !== 'MatMulNBits') {
        out.push(n);
        continue;
      }
      const x16 = `${n.input![0]}_fp16_${n.name}`;
      const y16 = `${n.output![0]}_fp16`;
      out.push(
        cast(n.input![0]!, x16, 10, `${n.name}_cast_in`),
        { ...n, input: [x16, ...n.input!.slice(1)], output: [y16] },
        cast(y16, n.output![0]!, 1, `${n.name}_cast_out`),
      );
    }
    return withGraph(model, { ...graph, node: out, initializer: inits }, [{ domain: 'com.microsoft', version: 1 }]);
  }
  return withGraph(model, { ...graph, node: nodes, initializer: inits }, [{ domain: 'com.microsoft', version: 1 }]);
}

/** Every weight MatMul as onnxruntime's `quantize_dynamic` writes it (int8 symmetric, or uint8 asymmetric). */
export async function int8Variant(model: OnnxModel, dtype: 'i8' | 'u8', perColumn = false): Promise<OnnxModel> {
  const graph = model.proto.graph!;
  const weights = matmulWeights(graph);
  const inits = (graph.initializer ?? []).filter((t) => !weights.has(t.name ?? ''));
  const nodes: onnx.INodeProto[] = [];
  const quantized = new Map<string, [string, string, string]>();
  for (const n of graph.node ?? []) {
    const wt = weights.get(n.input?.[1] ?? '');
    if (n.opType !== 'MatMul' || wt === undefined) {
      nodes.push(n);
      continue;
    }
    const x = n.input![0]!;
    let xq = quantized.get(x);
    if (xq === undefined) {
      xq = [`${x}_quantized`, `${x}_scale`, `${x}_zero_point`];
      quantized.set(x, xq);
      nodes.push({ opType: 'DynamicQuantizeLinear', name: `${x}_QuantizeLinear`, input: [x], output: [...xq] });
    }
    const w = await floatOf(model, wt);
    const [K, N] = w.shape as [number, number];
    const q = refQuantizeInt8(w.data, K, N, { dtype, symmetric: dtype === 'i8', reduceRange: false, perColumn });
    const wn = wt.name ?? '';
    const zShape = perColumn ? [N] : [];
    inits.push(tensorProtoFromHost(`${wn}_quantized`, tensor(dtype, [K, N], q.values as never)));
    inits.push(tensorProtoFromHost(`${wn}_scale`, tensor('f32', zShape, q.scales)));
    inits.push(tensorProtoFromHost(`${wn}_zero_point`, tensor(dtype, zShape, q.zeroPoints as never)));
    const out = n.output![0]!;
    const mmName = `${n.name}_quant`;
    nodes.push(
      {
        opType: 'MatMulInteger',
        name: mmName,
        input: [xq[0], `${wn}_quantized`, xq[2], `${wn}_zero_point`],
        output: [`${out}_output_quantized`],
      },
      {
        opType: 'Cast',
        name: `${out}_output_quantized_cast`,
        input: [`${out}_output_quantized`],
        output: [`${out}_output_quantized_cast_output`],
        attribute: [{ name: 'to', type: 2, i: 1 }],
      },
      {
        opType: 'Mul',
        name: `${mmName}_scales_mul`,
        input: [xq[1], `${wn}_scale`],
        output: [`${mmName}_scales_mul:0`],
      },
      {
        opType: 'Mul',
        name: `${mmName}_output_scale_mul`,
        input: [`${out}_output_quantized_cast_output`, `${mmName}_scales_mul:0`],
        output: [out],
      },
    );
  }
  return withGraph(model, { ...graph, node: nodes, initializer: inits });
}

/** Builds a variant of the base ToyLlama. */
export async function buildVariant(v: TestVariant): Promise<OnnxModel> {
  const base = baseToyLlama();
  switch (v) {
    case 'fp32':
      return base;
    case 'fp16':
      return fp16Variant(base);
    case 'q4':
      return q4Variant(base, { zeroPoints: false });
    case 'q4f16':
      return q4Variant(base, { zeroPoints: true, f16Scales: true });
    case 'int8':
      return int8Variant(base, 'i8');
    case 'uint8':
      return int8Variant(base, 'u8', true);
  }
}

/** Options of {@link writeTestFolder}. */
export interface TestFolderOptions {
  /** Variants stored with external data (`<file>_data`, transformers.js's name). */
  readonly external?: readonly TestVariant[];
}

/** Writes a model folder with the given variants; returns its path. */
export async function writeTestFolder(
  dir: string,
  variants: readonly TestVariant[],
  options: TestFolderOptions = {},
): Promise<string> {
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  for (const [name, text] of Object.entries(CONFIG_FILES)) writeFileSync(join(dir, name), text);
  for (const v of variants) {
    const file = variantFile(v);
    const external = options.external?.includes(v) === true;
    await writeOnnxModel(await buildVariant(v), join(dir, 'onnx', file), {
      externalData: external ? { location: `${file}_data`, threshold: 1024 } : 'inline',
    });
  }
  return dir;
}
