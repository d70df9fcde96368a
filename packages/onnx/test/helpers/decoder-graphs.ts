/**
 * A tiny Llama-shaped decoder written the way Optimum exports it and onnxruntime's quantizers rewrite it, in every
 * dtype variant transformers.js loads — for mapping and injection tests without an exporter.
 *
 * Per layer: q/k/v projections (with bias, as Qwen2 has), heads reshaped, keys/values concatenated to
 * `past_key_values.N.key/value` as `present.N.key/value`, softmax attention without mask, `o_proj` and a residual;
 * then SwiGLU `down(silu(gate(h)) · up(h))` and a residual; finally `lm_head` → `logits`. Inputs `input_ids`
 * (int64) and the past; node names carry torch.onnx.export scopes (`/model/layers.0/self_attn/q_proj/MatMul`),
 * weights are anonymous (`onnx::MatMul_<n>`), biases keep their PEFT names.
 *
 * Variants (how each linear layer is written):
 * - `fp32`, `fp16`: MatMul on an (in, out) initializer; `fp16` computes everything in float16.
 * - `q4`, `q4f16`: com.microsoft MatMulNBits (`…/MatMul_Q4`, 4 bits, block 32, packed zero points); `q4-sym`:
 *   symmetric, without the zero-point input (the operator's default 8).
 * - `int8`: DynamicQuantizeLinear → MatMulInteger (`…/MatMul_quant`) → Cast → Mul(x_scale·W_scale), uint8 weights
 *   per tensor; `int8-i8pc`: the same with int8 7-bit weights per output column; `int8-fused`: com.microsoft
 *   DynamicQuantizeMatMul.
 *
 * `merged: true` writes an older Optimum merged decoder: one top-level `If(use_cache_branch)` whose then_branch is
 * the decoder with past and else_branch the decoder without (present = this step's keys/values), both reading the
 * top-level weights through outer scope — or, with `weightsInBranches`, each holding its own copy of them.
 */
import { createRng, f16BitsToF32, f32ToF16Bits, tensor, type HostTensor } from '@vblora/core';
import { encodeOnnxModel, GraphBuilder, OPSET, IR_VERSION, valueInfo, type onnx } from '@vblora/onnx';
import { packInt8, packQ4 } from './quant-pack.js';

/** Sizes of the decoder. */
export interface DecoderDims {
  readonly hidden: number;
  readonly heads: number;
  readonly intermediate: number;
  readonly vocab: number;
  readonly layers: number;
}

/** hidden 64 (2 heads of 32), intermediate 80 (down_proj's K is not a multiple of the q4 block: a padded block). */
export const TINY: DecoderDims = { hidden: 64, heads: 2, intermediate: 80, vocab: 48, layers: 2 };

export type DecoderVariant = 'fp32' | 'fp16' | 'q4' | 'q4-sym' | 'q4f16' | 'int8' | 'int8-i8pc' | 'int8-fused';
export const DECODER_VARIANTS: readonly DecoderVariant[] = [
  'fp32',
  'fp16',
  'q4',
  'q4-sym',
  'q4f16',
  'int8',
  'int8-i8pc',
  'int8-fused',
];

const LAYER_MODULES = [
  'self_attn.q_proj',
  'self_attn.k_proj',
  'self_attn.v_proj',
  'self_attn.o_proj',
  'mlp.gate_proj',
  'mlp.up_proj',
  'mlp.down_proj',
];
const WITH_BIAS = new Set(['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj']);

/** Every linear module path of the decoder, in graph order. */
export function decoderPaths(dims: DecoderDims = TINY): string[] {
  const layers = Array.from({ length: dims.layers }, (_, i) =>
    LAYER_MODULES.map((m) => `model.layers.${i}.${m}`),
  ).flat();
  return [...layers, 'lm_head'];
}

/** One float linear layer: W (out, in) and its bias. */
export interface LinearWeights {
  readonly w: Float32Array;
  readonly bias: Float32Array | null;
  readonly inF: number;
  readonly outF: number;
}

/** Float weights of the decoder, seeded. */
export interface DecoderWeights {
  readonly dims: DecoderDims;
  readonly embed: Float32Array;
  readonly linear: ReadonlyMap<string, LinearWeights>;
}

function featuresOf(path: string, d: DecoderDims): [number, number] {
  if (path === 'lm_head') return [d.hidden, d.vocab];
  if (path.endsWith('down_proj')) return [d.intermediate, d.hidden];
  if (path.endsWith('gate_proj') || path.endsWith('up_proj')) return [d.hidden, d.intermediate];
  return [d.hidden, d.hidden];
}

/** Seeded weights: N(0, 1/in) so activations stay of order 1 through the layers. */
export function decoderWeights(dims: DecoderDims = TINY, seed = 7): DecoderWeights {
  const rng = createRng(seed);
  const normal = (n: number, scale: number) =>
    Float32Array.from({ length: n }, () => Math.fround(rng.normal() * scale));
  const linear = new Map<string, LinearWeights>();
  for (const path of decoderPaths(dims)) {
    const [inF, outF] = featuresOf(path, dims);
    const hasBias = WITH_BIAS.has(path.split('.').slice(-2).join('.'));
    linear.set(path, {
      w: normal(inF * outF, 1 / Math.sqrt(inF)),
      bias: hasBias ? normal(outF, 0.1) : null,
      inF,
      outF,
    });
  }
  return { dims, embed: normal(dims.vocab * dims.hidden, 1), linear };
}

/** A decoder model and the weights each of its layers applies. */
export interface BuiltDecoder {
  readonly model: onnx.IModelProto;
  readonly bytes: Uint8Array;
  /** Module path → the (out, in) float32 weight the graph multiplies by (dequantized, or rounded to float16). */
  readonly applied: ReadonlyMap<string, Float32Array>;
  /** Element type of activations, past and logits. */
  readonly act: 'f32' | 'f16';
}

const f16Round = (v: number): number => f16BitsToF32(f32ToF16Bits(v));
const toF16 = (a: Float32Array): Uint16Array => Uint16Array.from(a, (v) => f32ToF16Bits(v));
const transpose = (w: Float32Array, rows: number, cols: number): Float32Array => {
  const t = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c]!;
  return t;
};

/** Writes a decoder in one variant (see the module comment). */
export function buildDecoder(
  weights: DecoderWeights,
  variant: DecoderVariant,
  options: { merged?: boolean; weightsInBranches?: boolean } = {},
): BuiltDecoder {
  const d = weights.dims;
  const act: 'f32' | 'f16' = variant === 'fp16' || variant === 'q4f16' ? 'f16' : 'f32';
  const hd = d.hidden / d.heads;
  const top = new GraphBuilder('t/');
  const applied = new Map<string, Float32Array>();
  const floatInit = (name: string, values: Float32Array, shape: readonly number[]): string =>
    top.init(name, act === 'f16' ? tensor('f16', shape, toF16(values)) : tensor('f32', shape, values));

  // weights once, shared by both branches of a merged decoder
  const layerInits = new Map<string, Record<string, string>>();
  let anon = 100;
  const initsOf = (path: string): Record<string, string> => {
    const hit = layerInits.get(path);
    if (hit !== undefined) return hit;
    const { w, bias, inF, outF } = weights.linear.get(path)!;
    const base = `onnx::MatMul_${anon++}`;
    const names: Record<string, string> = {};
    if (bias !== null) names['bias'] = floatInit(`${path}.bias`, bias, [outF]);
    if (variant === 'fp32' || variant === 'fp16') {
      names['w'] = floatInit(base, transpose(w, outF, inF), [inF, outF]);
      applied.set(path, act === 'f16' ? Float32Array.from(w, f16Round) : w);
    } else if (variant.startsWith('q4')) {
      const p = packQ4(w, outF, inF, 32, variant === 'q4-sym', act === 'f16' ? f16Round : Math.fround);
      names['w'] = top.init(`${base}_Q4`, p.B);
      names['scales'] = floatInit(`${base}_scales`, p.scales.data, p.scales.shape);
      if (p.zeroPoints !== null) names['zp'] = top.init(`${base}_zero_points`, p.zeroPoints);
      applied.set(path, p.dequantized);
    } else {
      const p = packInt8(w, outF, inF, variant === 'int8-i8pc' ? 'i8' : 'u8', variant === 'int8-i8pc');
      names['w'] = top.init(`${base}_quantized`, p.W);
      names['scale'] = top.init(`${base}_scale`, p.scale);
      names['zp'] = top.init(`${base}_zero_point`, p.zeroPoint);
      applied.set(path, p.dequantized);
    }
    layerInits.set(path, names);
    return names;
  };

  const int64 = (values: number[]): string => top.int64(values);
  const c = {
    heads: int64([0, 0, d.heads, hd]),
    merge: int64([0, 0, d.hidden]),
    scale: floatInit('t/attn_scale', Float32Array.of(1 / Math.sqrt(hd)), []),
  };

  /** Emits the decoder's nodes into `g`; `withPast` concatenates the past keys/values. */
  const body = (g: GraphBuilder, withPast: boolean): void => {
    const quantized = new Map<string, [string, string, string]>(); // DynamicQuantizeLinear per activation
    const linear = (path: string, scope: string, x: string, out?: string): string => {
      const n = initsOf(path);
      const { inF, outF } = weights.linear.get(path)!;
      const mmOut = n['bias'] === undefined && out !== undefined ? out : `${scope}/MatMul_output_0`;
      if (variant === 'fp32' || variant === 'fp16') {
        g.op('MatMul', [x, n['w']!], {}, { name: `${scope}/MatMul`, outputs: [mmOut] });
      } else if (variant.startsWith('q4')) {
        const attrs = { K: { i: inF }, N: { i: outF }, bits: { i: 4 }, block_size: { i: 32 } };
        const inputs = [x, n['w']!, n['scales']!, ...(n['zp'] === undefined ? [] : [n['zp']])];
        g.op('MatMulNBits', inputs, attrs, { name: `${scope}/MatMul_Q4`, outputs: [mmOut], domain: 'com.microsoft' });
      } else if (variant === 'int8-fused') {
        g.op(
          'DynamicQuantizeMatMul',
          [x, n['w']!, n['scale']!, n['zp']!],
          {},
          { name: `${scope}/MatMul_quant`, outputs: [mmOut], domain: 'com.microsoft' },
        );
      } else {
        let q = quantized.get(x);
        if (q === undefined) {
          q = [`${x}_quantized`, `${x}_scale`, `${x}_zero_point`];
          g.op('DynamicQuantizeLinear', [x], {}, { name: `${x}_QuantizeLinear`, outputs: q });
          quantized.set(x, q);
        }
        const mi = `${mmOut}_output_quantized`;
        g.op('MatMulInteger', [q[0], n['w']!, q[2], n['zp']!], {}, { name: `${scope}/MatMul_quant`, outputs: [mi] });
        g.op('Cast', [mi], { to: { i: 1 } }, { name: `${mi}_cast`, outputs: [`${mi}_cast_output`] });
        const sm = `${scope}/MatMul_quant_scales_mul`;
        g.op('Mul', [q[1], n['scale']!], {}, { name: sm, outputs: [`${sm}:0`] });
        g.op(
          'Mul',
          [`${mi}_cast_output`, `${sm}:0`],
          {},
          { name: `${scope}/MatMul_quant_output_scale_mul`, outputs: [mmOut] },
        );
      }
      if (n['bias'] === undefined) return mmOut;
      return g.op(
        'Add',
        [mmOut, n['bias']],
        {},
        { name: `${scope}/Add`, outputs: [out ?? `${scope}/Add_output_0`] },
      )[0]!;
    };
    let h = g.op1(
      'Gather',
      ['model.embed_tokens.weight', 'input_ids'],
      { axis: { i: 0 } },
      { name: '/model/embed_tokens/Gather' },
    );
    for (let i = 0; i < d.layers; i++) {
      const at = `/model/layers.${i}/self_attn`;
      const heads = (t: string, tag: string): string => {
        const r = g.op1('Reshape', [t, c.heads], {}, { name: `${at}/Reshape_${tag}` });
        return g.op1('Transpose', [r], { perm: { ints: [0, 2, 1, 3] } }, { name: `${at}/Transpose_${tag}` });
      };
      const q = heads(linear(`model.layers.${i}.self_attn.q_proj`, `${at}/q_proj`, h), 'q');
      const kv = (['key', 'value'] as const).map((kind) => {
        const proj = kind === 'key' ? 'k_proj' : 'v_proj';
        const fresh = heads(linear(`model.layers.${i}.self_attn.${proj}`, `${at}/${proj}`, h), kind);
        const present = `present.${i}.${kind}`;
        if (withPast)
          g.op(
            'Concat',
            [`past_key_values.${i}.${kind}`, fresh],
            { axis: { i: 2 } },
            { name: `${at}/Concat_${kind}`, outputs: [present] },
          );
        else g.op('Identity', [fresh], {}, { name: `${at}/Identity_${kind}`, outputs: [present] });
        return present;
      });
      const kt = g.op1('Transpose', [kv[0]!], { perm: { ints: [0, 1, 3, 2] } }, { name: `${at}/Transpose_kt` });
      const scores = g.op1(
        'Mul',
        [g.op1('MatMul', [q, kt], {}, { name: `${at}/MatMul` }), c.scale],
        {},
        { name: `${at}/Mul` },
      );
      const probs = g.op1('Softmax', [scores], { axis: { i: -1 } }, { name: `${at}/Softmax` });
      const ctx = g.op1('MatMul', [probs, kv[1]!], {}, { name: `${at}/MatMul_1` });
      const ctxT = g.op1('Transpose', [ctx], { perm: { ints: [0, 2, 1, 3] } }, { name: `${at}/Transpose_ctx` });
      const attn = g.op1('Reshape', [ctxT, c.merge], {}, { name: `${at}/Reshape_ctx` });
      const o = linear(`model.layers.${i}.self_attn.o_proj`, `${at}/o_proj`, attn);
      h = g.op1('Add', [h, o], {}, { name: `/model/layers.${i}/Add` });
      const mlp = `/model/layers.${i}/mlp`;
      const gate = linear(`model.layers.${i}.mlp.gate_proj`, `${mlp}/gate_proj`, h);
      const up = linear(`model.layers.${i}.mlp.up_proj`, `${mlp}/up_proj`, h);
      const silu = g.op1(
        'Mul',
        [gate, g.op1('Sigmoid', [gate], {}, { name: `${mlp}/act_fn/Sigmoid` })],
        {},
        { name: `${mlp}/act_fn/Mul` },
      );
      const down = linear(
        `model.layers.${i}.mlp.down_proj`,
        `${mlp}/down_proj`,
        g.op1('Mul', [silu, up], {}, { name: `${mlp}/Mul` }),
      );
      h = g.op1('Add', [h, down], {}, { name: `/model/layers.${i}/Add_1` });
    }
    linear('lm_head', '/lm_head', h, 'logits');
  };

  floatInit('model.embed_tokens.weight', weights.embed, [d.vocab, d.hidden]);
  const kvShape = ['batch_size', d.heads, 'past_sequence_length', hd];
  const inputs = [valueInfo('input_ids', 'i64', ['batch_size', 'sequence_length'])];
  const outputs = [valueInfo('logits', act, ['batch_size', 'sequence_length', d.vocab])];
  for (let i = 0; i < d.layers; i++) {
    for (const kind of ['key', 'value']) {
      inputs.push(valueInfo(`past_key_values.${i}.${kind}`, act, kvShape));
      outputs.push(valueInfo(`present.${i}.${kind}`, act, ['batch_size', d.heads, 'total_sequence_length', hd]));
    }
  }
  let nodes: onnx.INodeProto[];
  if (options.merged === true) {
    inputs.push(valueInfo('use_cache_branch', 'bool', [1]));
    const branch = (withPast: boolean): onnx.IGraphProto => {
      const g = new GraphBuilder(withPast ? 'p/' : 'n/');
      body(g, withPast);
      // the first merged exports kept a copy of the weights in each branch (same names, sibling scopes)
      const initializer = options.weightsInBranches === true ? top.initializers.map((t) => ({ ...t })) : [];
      return { name: withPast ? 'with_past' : 'no_past', node: g.nodes, output: outputs, initializer, input: [] };
    };
    const thenB = branch(true);
    const elseB = branch(false);
    nodes = [
      ...top.nodes,
      {
        opType: 'If',
        name: 'optimum::if',
        input: ['use_cache_branch'],
        output: outputs.map((o) => o.name ?? ''),
        attribute: [
          { name: 'then_branch', type: 5, g: thenB },
          { name: 'else_branch', type: 5, g: elseB },
        ],
      },
    ];
  } else {
    body(top, true);
    nodes = top.nodes;
  }
  const opsets = [{ domain: '', version: OPSET }];
  if (variant.startsWith('q4') || variant === 'int8-fused') opsets.push({ domain: 'com.microsoft', version: 1 });
  const model: onnx.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: opsets,
    producerName: 'vblora.js tests',
    graph: {
      name: 'decoder',
      node: nodes,
      input: inputs,
      output: outputs,
      initializer: options.weightsInBranches === true ? [] : top.initializers,
    },
  };
  return { model, bytes: encodeOnnxModel(model), applied, act };
}

/** Feeds for one run: token ids (batch, seq) and a past of `past` positions (seeded N(0, 1)). */
export function decoderFeeds(
  dims: DecoderDims,
  act: 'f32' | 'f16',
  batch: number,
  seq: number,
  past: number,
  seed = 3,
): Record<string, HostTensor> {
  const rng = createRng(seed);
  const feeds: Record<string, HostTensor> = {
    input_ids: tensor(
      'i64',
      [batch, seq],
      BigInt64Array.from({ length: batch * seq }, () => BigInt(Math.floor(rng.uniform() * dims.vocab))),
    ),
  };
  const hd = dims.hidden / dims.heads;
  for (let i = 0; i < dims.layers; i++) {
    for (const kind of ['key', 'value']) {
      const n = batch * dims.heads * past * hd;
      const v = Float32Array.from({ length: n }, () => rng.normal());
      feeds[`past_key_values.${i}.${kind}`] =
        act === 'f16'
          ? tensor('f16', [batch, dims.heads, past, hd], toF16(v))
          : tensor('f32', [batch, dims.heads, past, hd], v);
    }
  }
  return feeds;
}
