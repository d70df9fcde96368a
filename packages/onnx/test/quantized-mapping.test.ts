import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createConfig, resolveTargets, tensor } from '@vblora/core';
import {
  decodeOnnxModel,
  encodeOnnxModel,
  GraphBuilder,
  injectAdapterInputs,
  mapGraphModules,
  ModuleMappingError,
  readOnnxModel,
  subgraphLabel,
  writeOnnxModel,
  type GraphModule,
  type onnx,
} from '@vblora/onnx';
import {
  buildDecoder,
  decoderPaths,
  decoderWeights,
  DECODER_VARIANTS,
  type DecoderVariant,
} from './helpers/decoder-graphs.js';
import { tempDir } from './helpers/tmp.js';

const weights = decoderWeights();
const PATHS = decoderPaths();
const mapVariant = (v: DecoderVariant, merged = false) =>
  mapGraphModules(decodeOnnxModel(buildDecoder(weights, v, { merged }).bytes));

const EXPECT: Record<DecoderVariant, { format: string; op: string; node: string; weightDtype: string; act: string }> = {
  fp32: { format: 'float', op: 'MatMul', node: 'MatMul', weightDtype: 'f32', act: 'f32' },
  fp16: { format: 'float', op: 'MatMul', node: 'MatMul', weightDtype: 'f16', act: 'f16' },
  q4: { format: 'q4', op: 'MatMulNBits', node: 'MatMul_Q4', weightDtype: 'u8', act: 'f32' },
  'q4-sym': { format: 'q4', op: 'MatMulNBits', node: 'MatMul_Q4', weightDtype: 'u8', act: 'f32' },
  q4f16: { format: 'q4', op: 'MatMulNBits', node: 'MatMul_Q4', weightDtype: 'u8', act: 'f16' },
  int8: { format: 'int8', op: 'MatMulInteger', node: 'MatMul_quant', weightDtype: 'u8', act: 'f32' },
  'int8-i8pc': { format: 'int8', op: 'MatMulInteger', node: 'MatMul_quant', weightDtype: 'i8', act: 'f32' },
  'int8-fused': { format: 'int8', op: 'DynamicQuantizeMatMul', node: 'MatMul_quant', weightDtype: 'u8', act: 'f32' },
};

const summary = (l: GraphModule) => ({
  format: l.format,
  op: l.opType,
  weightDtype: l.weightDtype,
  act: l.computeDtype,
});

describe('mapping finds the same modules in every dtype variant of an Optimum-style decoder', () => {
  for (const v of DECODER_VARIANTS) {
    it(`${v}: 15 modules by exporter scope, with input, output, features and format`, () => {
      const m = mapVariant(v);
      expect([...m.byPath.keys()]).toEqual(PATHS);
      expect(m.unsupported).toEqual([]);
      const e = EXPECT[v];
      for (const path of PATHS) {
        const uses = m.require(path);
        expect(uses).toHaveLength(1);
        const l = uses[0]!;
        expect(summary(l), path).toEqual({ format: e.format, op: e.op, weightDtype: e.weightDtype, act: e.act });
        expect(l.source).toBe('scope');
        expect(l.outputDtype).toBe(e.act);
        expect(l.subgraph).toEqual([]);
        const w = weights.linear.get(path)!;
        expect([l.inFeatures, l.outFeatures], path).toEqual([w.inF, w.outF]);
        expect(l.bias, path).toBe(w.bias === null ? null : `${path}.bias`);
      }
      const q = m.require('model.layers.0.self_attn.q_proj')[0]!;
      expect(q.node).toBe(`/model/layers.0/self_attn/q_proj/${e.node}`);
      expect(q.output).toBe('/model/layers.0/self_attn/q_proj/Add_output_0'); // after dequantization and bias
      expect(m.require('model.layers.1.mlp.down_proj')[0]!.output).toBe(
        '/model/layers.1/mlp/down_proj/MatMul_output_0',
      );
      expect(m.require('lm_head')[0]!.output).toBe('logits');
      // q, k and v read one activation (for int8: before the one DynamicQuantizeLinear they share)
      const inputs = ['q_proj', 'k_proj', 'v_proj'].map((p) => m.require(`model.layers.1.self_attn.${p}`)[0]!.input);
      expect(new Set(inputs).size).toBe(1);
      expect(m.index.producer.get(inputs[0]!)?.node.opType).toBe('Add'); // the residual, a float value
      expect(m.modules.map((x) => x.name)).toEqual(PATHS);
    });
  }

  it('q4: block size, scales and packed zero points; layout (N, K) = (out, in)', () => {
    const l = mapVariant('q4').require('model.layers.1.mlp.down_proj')[0]!;
    expect(l.layout).toBe('out_in');
    expect(l.quant).toEqual({
      format: 'q4',
      bits: 4,
      blockSize: 32,
      scales: expect.stringMatching(/_scales$/),
      zeroPoints: expect.stringMatching(/_zero_points$/),
    });
    expect([l.inFeatures, l.outFeatures]).toEqual([80, 64]); // K = 80: three blocks, the last one padded
    expect(mapVariant('q4-sym').require('lm_head')[0]!.quant).toMatchObject({ format: 'q4', zeroPoints: null });
  });

  it('int8: weight scale and zero point, the DynamicQuantizeLinear node, layout (K, N) = (in, out)', () => {
    const l = mapVariant('int8').require('model.layers.0.mlp.up_proj')[0]!;
    expect(l.layout).toBe('in_out');
    expect(l.kind).toBe('linear');
    expect(l.quant).toEqual({
      format: 'int8',
      scale: expect.stringMatching(/_scale$/),
      zeroPoint: expect.stringMatching(/_zero_point$/),
      quantizeNode: `${l.input}_QuantizeLinear`,
    });
    const fused = mapVariant('int8-fused').require('model.layers.0.mlp.up_proj')[0]!;
    expect(fused.quant).toMatchObject({ format: 'int8', quantizeNode: null });
  });

  for (const v of ['fp32', 'q4', 'int8'] as const) {
    it(`${v} merged decoder (If): each module twice, once per branch, weights read from the top-level graph`, () => {
      const m = mapVariant(v, true);
      expect([...m.byPath.keys()]).toEqual(PATHS);
      for (const path of PATHS) {
        const uses = m.require(path);
        expect(uses.map((u) => u.subgraph.map((s) => s.attribute))).toEqual([['then_branch'], ['else_branch']]);
        expect(uses[0]!.weight).toBe(uses[1]!.weight);
        expect(m.initializer(uses[1]!)).toBe(m.index.initializers.get(uses[0]!.weight)); // outer scope
      }
      const [then] = m.require('model.layers.0.self_attn.q_proj');
      expect(subgraphLabel(then!.subgraph)).toBe('node "optimum::if" then_branch');
      expect(m.graphs.size).toBe(3);
    });
  }

  it('external data: the q4 and int8 variants map the same once their weights live in model.onnx.data', async () => {
    const dir = tempDir('qmap');
    for (const v of ['q4', 'int8'] as const) {
      const path = join(dir, `model_${v}.onnx`);
      await writeOnnxModel(decodeOnnxModel(buildDecoder(weights, v).bytes), path, { externalData: { threshold: 256 } });
      const m = mapGraphModules(await readOnnxModel(path));
      expect([...m.byPath.keys()]).toEqual(PATHS);
      expect(m.layers.every((l) => m.initializer(l)?.dataLocation === 1)).toBe(true);
    }
  });

  it('moduleMap names a quantized node when a stripped graph has no scopes', () => {
    const model = buildDecoder(weights, 'q4').model;
    model.graph!.node!.forEach((n, i) => (n.name = n.opType === 'MatMulNBits' ? `MatMulNBits_${i}` : ''));
    const upAt = model.graph!.node!.findIndex((n) => n.output?.[0] === '/model/layers.0/mlp/up_proj/MatMul_output_0');
    const decoded = decodeOnnxModel(encodeOnnxModel(model));
    expect(mapGraphModules(decoded).byPath.size).toBe(0);
    const stripped = mapGraphModules(decoded, { moduleMap: { 'model.layers.0.mlp.up_proj': `MatMulNBits_${upAt}` } });
    expect([...stripped.byPath.keys()]).toEqual(['model.layers.0.mlp.up_proj']);
    expect(stripped.require('model.layers.0.mlp.up_proj')[0]!.format).toBe('q4');
  });
});

/** One-layer graphs in forms that cannot carry a branch. */
function unsupportedGraph(form: 'qlinear' | 'nbits8' | 'static-int' | 'qdq' | 'gemm-transA'): onnx.IModelProto {
  const g = new GraphBuilder('u/');
  const scope = '/model/layers.0/self_attn/q_proj';
  g.input('x', 'f32', ['batch', 64]);
  const u8 = (name: string, shape: number[]) =>
    g.init(name, tensor('u8', shape, new Uint8Array(shape.reduce((a, b) => a * b, 1)).fill(3)));
  const f32 = (name: string, shape: number[], v = 0.1) =>
    g.init(name, tensor('f32', shape, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v)));
  let y: string;
  if (form === 'qlinear' || form === 'static-int') {
    f32('xs', []);
    u8('xz', []);
    const xq = g.op1('QuantizeLinear', ['x', 'xs', 'xz'], {}, { name: `${scope}/x_quant` });
    u8('W_quantized', [64, 32]);
    f32('W_scale', []);
    u8('W_zero_point', []);
    if (form === 'qlinear') {
      f32('ys', []);
      u8('yz', []);
      const yq = g.op1(
        'QLinearMatMul',
        [xq, 'xs', 'xz', 'W_quantized', 'W_scale', 'W_zero_point', 'ys', 'yz'],
        {},
        { name: `${scope}/MatMul_quant` },
      );
      y = g.op1('DequantizeLinear', [yq, 'ys', 'yz']);
    } else {
      const mi = g.op1(
        'MatMulInteger',
        [xq, 'W_quantized', 'xz', 'W_zero_point'],
        {},
        { name: `${scope}/MatMul_quant` },
      );
      y = g.op1('Mul', [g.op1('Cast', [mi], { to: { i: 1 } }), 'W_scale']);
    }
  } else if (form === 'nbits8') {
    u8('B', [32, 2, 32]);
    f32('S', [32, 2]);
    y = g.op1(
      'MatMulNBits',
      ['x', 'B', 'S'],
      { K: { i: 64 }, N: { i: 32 }, bits: { i: 8 }, block_size: { i: 32 } },
      { name: `${scope}/MatMul_Q8`, domain: 'com.microsoft' },
    );
  } else if (form === 'qdq') {
    g.init('Wq', tensor('i8', [64, 32], new Int8Array(64 * 32)));
    f32('Ws', []);
    const w = g.op1('DequantizeLinear', ['Wq', 'Ws'], {}, { name: `${scope}/weight_dq` });
    y = g.op1('MatMul', ['x', w], {}, { name: `${scope}/MatMul` });
  } else {
    f32('W', [32, 64]);
    y = g.op1('Gemm', ['x', 'W'], { transA: { i: 1 }, transB: { i: 1 } }, { name: `${scope}/Gemm` });
  }
  g.output(y, 'f32');
  const model = g.model();
  model.opsetImport!.push({ domain: 'com.microsoft', version: 1 });
  return model;
}

describe('layers that cannot carry a branch fail with a ModuleMappingError naming the node and the reason', () => {
  const cases = [
    ['qlinear', 'QLinearMatMul', /static quantization/],
    ['nbits8', 'MatMulNBits', /bits=8/],
    ['static-int', 'MatMulInteger', /not quantized by DynamicQuantizeLinear/],
    ['qdq', 'MatMul', /DequantizeLinear \(a QDQ-quantized model\)/],
    ['gemm-transA', 'Gemm', /transA=1/],
  ] as const;
  for (const [form, op, why] of cases) {
    it(`${form}: ${op}`, async () => {
      const model = decodeOnnxModel(encodeOnnxModel(unsupportedGraph(form)));
      const m = mapGraphModules(model);
      expect(m.layers).toEqual([]);
      expect(m.unsupported.map((u) => u.opType)).toEqual([op]);
      const path = 'model.layers.0.self_attn.q_proj';
      const err = (() => {
        try {
          m.require(path);
        } catch (e) {
          return e;
        }
        return null;
      })() as ModuleMappingError;
      expect(err).toBeInstanceOf(ModuleMappingError);
      expect(err.module).toBe(path);
      expect(err.candidates).toEqual([m.unsupported[0]!.node]);
      expect(err.message).toContain(`${op} node "${m.unsupported[0]!.node}"`);
      expect(err.message).toMatch(why);
      expect(err.message).toMatch(/Supported layers: MatMul\/Gemm on a float initializer, MatMulNBits \(4 bits\)/);
      // PEFT's targeting sees the module, so injecting by config reaches the same error instead of skipping it
      const config = createConfig({ target_modules: ['q_proj'], vector_length: 16 });
      expect(resolveTargets(m.modules, config).targets.map((t) => t.name)).toEqual([path]);
      await expect(injectAdapterInputs(model, { config })).rejects.toThrow(ModuleMappingError);
    });
  }
});

const TINY_LLAMA = join(import.meta.dirname, '../../conformance/fixtures/tiny-llama/onnx');
const tinyLlamaFiles = existsSync(TINY_LLAMA)
  ? readdirSync(TINY_LLAMA)
      .filter((f) => /^model.*\.onnx$/.test(f))
      .sort()
  : [];

describe('the tiny Llama fixture (Optimum / onnxruntime exports)', () => {
  it.skipIf(tinyLlamaFiles.length < 3)(
    `maps the same modules in ${tinyLlamaFiles.join(', ') || 'its variants'}`,
    async () => {
      const maps = await Promise.all(
        tinyLlamaFiles.map(async (f) => mapGraphModules(await readOnnxModel(join(TINY_LLAMA, f)))),
      );
      const ref = maps[0]!;
      expect(ref.byPath.size).toBeGreaterThan(0);
      for (const [i, m] of maps.entries()) {
        expect([...m.byPath.keys()], tinyLlamaFiles[i]).toEqual([...ref.byPath.keys()]);
        expect(m.unsupported, tinyLlamaFiles[i]).toEqual([]);
        for (const [path, uses] of m.byPath) {
          const r = ref.byPath.get(path)![0]!;
          expect([uses[0]!.inFeatures, uses[0]!.outFeatures], `${tinyLlamaFiles[i]} ${path}`).toEqual([
            r.inFeatures,
            r.outFeatures,
          ]);
        }
      }
    },
  );
});
