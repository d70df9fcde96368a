/**
 * A Llama decoder as an ONNX graph in the layout transformers.js runs (Optimum's export: `input_ids`,
 * `attention_mask`, `position_ids`, `past_key_values.N.key/.value` in; `logits`, `present.N.*` out; node scopes
 * `/model/layers.N/self_attn/q_proj/MatMul`), at any size, with seeded random weights. The benchmarks need a decoder
 * at Llama-2-7B's layer size, and exporting one with PyTorch would mean shipping hundreds of megabytes; the
 * structure is small and written here instead (the shipped tiny Llama fixture is the exported one).
 *
 * The math is Hugging Face's `LlamaForCausalLM` with eager attention: RMSNorm, rotary embedding with
 * `rotate_half`, grouped-query attention over the cache (keys after RoPE), a causal + padding additive mask, SiLU
 * MLP, untied `lm_head`.
 * @module
 */
import { createRng, type HostTensor } from '@vblora/core';
import { GraphBuilder, type onnx } from '@vblora/onnx';

/** Sizes of a Llama decoder. */
export interface DecoderShape {
  readonly layers: number;
  readonly hidden: number;
  readonly intermediate: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly vocab: number;
}

/**
 * `random`: seeded weights in the graph; `shapes`: weights declared only (external data that is never read); a map:
 * a Hugging Face Llama state dict (PyTorch keys, float32), e.g. the shipped tiny Llama's, to check the graph's math.
 */
export type DecoderWeights = 'random' | 'shapes' | ReadonlyMap<string, HostTensor>;

const ROPE_THETA = 10000;
const RMS_EPS = 1e-5;
const FLOAT32_MIN = -3.4028234663852886e38;

function transposed(t: HostTensor): HostTensor {
  const [rows, cols] = t.shape as [number, number];
  const src = t.data as Float32Array;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = src[i * cols + j]!;
  return { dtype: 'f32', shape: [cols, rows], data: out } as HostTensor;
}

/** Bytes of the float32 weights of a decoder. */
export function decoderWeightBytes(s: DecoderShape): number {
  const d = s.hidden / s.heads;
  const perLayer = s.hidden * (s.hidden + 2 * s.kvHeads * d + s.hidden) + 3 * s.hidden * s.intermediate + 2 * s.hidden;
  return 4 * (s.layers * perLayer + 2 * s.vocab * s.hidden + s.hidden);
}

/** The decoder as an ONNX model (opset 17). */
export function llamaDecoderModel(s: DecoderShape, weights: DecoderWeights, seed = 1): onnx.IModelProto {
  if (s.hidden % s.heads !== 0 || s.heads % s.kvHeads !== 0) throw new Error(`bad decoder shape ${JSON.stringify(s)}`);
  const D = s.hidden / s.heads;
  const g = new GraphBuilder('/bench/');
  const rng = createRng(seed);
  let weightCount = 0;

  /** A MatMul weight (in, out), the transpose of PyTorch's `key` (out, in); `embed`: Gather's (vocab, hidden) as is. */
  const weight = (key: string, shape: [number, number], scale: number, embed = false): string => {
    const name = `onnx::MatMul_${weightCount++}`;
    if (typeof weights === 'object') {
      const t = weights.get(key);
      const want = embed ? shape : [shape[1], shape[0]];
      if (t === undefined || t.dtype !== 'f32' || t.shape.join() !== want.join()) {
        throw new Error(
          `state dict: ${key} must be float32 (${want.join(', ')}), got ${t === undefined ? 'none' : `${t.dtype} (${t.shape.join(', ')})`}`,
        );
      }
      return g.init(name, embed ? t : transposed(t));
    }
    if (weights === 'shapes') {
      const bytes = 4 * shape[0] * shape[1];
      g.initializers.push({
        name,
        dims: shape,
        dataType: 1,
        dataLocation: 1,
        externalData: [
          { key: 'location', value: 'weights.absent' },
          { key: 'offset', value: '0' },
          { key: 'length', value: String(bytes) },
        ],
      });
      return name;
    }
    const data = new Float32Array(shape[0] * shape[1]);
    for (let i = 0; i < data.length; i++) data[i] = (rng.uniform() * 2 - 1) * scale;
    return g.init(name, { dtype: 'f32', shape, data } as HostTensor);
  };
  const normWeight = (key: string, n: number): string =>
    g.init(
      key,
      typeof weights === 'object' && weights.has(key)
        ? weights.get(key)!
        : ({ dtype: 'f32', shape: [n], data: new Float32Array(n).fill(1) } as HostTensor),
    );
  const scalarI = (v: number): string => g.int64([v], []);
  const scalarF = (v: number): string => g.float32([v], []);

  /** `scope`: the exporter's node scope, `/model/layers.0/self_attn/q_proj`; the PyTorch key follows from it. */
  const linear = (x: string, scope: string, inF: number, outF: number, output?: string): string =>
    g.op(
      'MatMul',
      [x, weight(`${scope.slice(1).replaceAll('/', '.')}.weight`, [inF, outF], 1 / Math.sqrt(inF))],
      {},
      { name: `${scope}/MatMul`, ...(output === undefined ? {} : { outputs: [output] }) },
    )[0]!;
  const rmsNorm = (x: string, scope: string, w: string): string => {
    const sq = g.op1('Pow', [x, scalarF(2)], {}, { name: `${scope}/Pow` });
    const mean = g.op1(
      'ReduceMean',
      [sq],
      { axes: { ints: [-1] }, keepdims: { i: 1 } },
      { name: `${scope}/ReduceMean` },
    );
    const root = g.op1('Sqrt', [g.op1('Add', [mean, scalarF(RMS_EPS)])], {}, { name: `${scope}/Sqrt` });
    return g.op1('Mul', [w, g.op1('Div', [x, root], {}, { name: `${scope}/Div` })], {}, { name: `${scope}/Mul` });
  };

  const ids = g.input('input_ids', 'i64', ['batch_size', 'sequence_length']);
  const mask = g.input('attention_mask', 'i64', ['batch_size', 'total_sequence_length']);
  const positions = g.input('position_ids', 'i64', ['batch_size', 'sequence_length']);
  const past: [string, string][] = [];
  for (let l = 0; l < s.layers; l++) {
    const shape = ['batch_size', s.kvHeads, 'past_sequence_length', D] as const;
    past.push([g.input(`past_key_values.${l}.key`, 'f32', shape), g.input(`past_key_values.${l}.value`, 'f32', shape)]);
  }
  g.output('logits', 'f32', ['batch_size', 'sequence_length', s.vocab]);
  for (let l = 0; l < s.layers; l++) {
    const shape = ['batch_size', s.kvHeads, 'total_sequence_length', D] as const;
    g.output(`present.${l}.key`, 'f32', shape);
    g.output(`present.${l}.value`, 'f32', shape);
  }

  const embed = weight('model.embed_tokens.weight', [s.vocab, s.hidden], 1, true);
  let x = g.op1('Gather', [embed, ids], { axis: { i: 0 } }, { name: '/model/embed_tokens/Gather' }); // (B, S, hidden)

  // rotary embedding: cos/sin (B, 1, S, D) from position_ids
  const invFreq = Array.from({ length: D / 2 }, (_, i) => 1 / ROPE_THETA ** ((2 * i) / D));
  const posF = g.op1('Unsqueeze', [g.op1('Cast', [positions], { to: { i: 1 } }), g.int64([2])]); // (B, S, 1)
  const freqs = g.op1('Mul', [posF, g.float32(invFreq)], {}, { name: '/model/rotary_emb/Mul' }); // (B, S, D/2)
  const emb = g.op1('Concat', [freqs, freqs], { axis: { i: -1 } });
  const cos = g.op1('Unsqueeze', [g.op1('Cos', [emb]), g.int64([1])]);
  const sin = g.op1('Unsqueeze', [g.op1('Sin', [emb]), g.int64([1])]);

  // additive mask (B, 1, S, T): 0 where key j ≤ query's position in the cache and attention_mask is 1
  const T = g.op1('Gather', [g.op1('Shape', [mask]), scalarI(1)], { axis: { i: 0 } });
  const S = g.op1('Gather', [g.op1('Shape', [ids]), scalarI(1)], { axis: { i: 0 } });
  const keyIdx = g.op1('Range', [scalarI(0), T, scalarI(1)]); // (T)
  const queryIdx = g.op1('Unsqueeze', [g.op1('Range', [g.op1('Sub', [T, S]), T, scalarI(1)]), g.int64([1])]); // (S, 1)
  const causal = g.op1('LessOrEqual', [keyIdx, queryIdx]); // (S, T)
  const padding = g.op1('Unsqueeze', [g.op1('Cast', [mask], { to: { i: 9 } }), g.int64([1, 2])]); // (B, 1, 1, T)
  const allowed = g.op1('And', [causal, padding]);
  const maskAdd = g.op1('Where', [allowed, scalarF(0), scalarF(FLOAT32_MIN)], {}, { name: '/model/Where' });

  const rope = (t: string): string => {
    const half = g.op1('Slice', [t, g.int64([0]), g.int64([D / 2]), g.int64([3])]);
    const rest = g.op1('Slice', [t, g.int64([D / 2]), g.int64([D]), g.int64([3])]);
    const rotated = g.op1('Concat', [g.op1('Neg', [rest]), half], { axis: { i: 3 } });
    return g.op1('Add', [g.op1('Mul', [t, cos]), g.op1('Mul', [rotated, sin])]);
  };
  const heads = (t: string, n: number): string =>
    g.op1('Transpose', [g.op1('Reshape', [t, g.int64([0, 0, n, D])])], { perm: { ints: [0, 2, 1, 3] } });

  for (let l = 0; l < s.layers; l++) {
    const scope = `/model/layers.${l}`;
    const h = rmsNorm(x, `${scope}/input_layernorm`, normWeight(`model.layers.${l}.input_layernorm.weight`, s.hidden));
    const q = rope(heads(linear(h, `${scope}/self_attn/q_proj`, s.hidden, s.heads * D), s.heads)); // (B, H, S, D)
    const k = rope(heads(linear(h, `${scope}/self_attn/k_proj`, s.hidden, s.kvHeads * D), s.kvHeads)); // (B, KV, S, D)
    const v = heads(linear(h, `${scope}/self_attn/v_proj`, s.hidden, s.kvHeads * D), s.kvHeads);
    const keys = g.op('Concat', [past[l]![0], k], { axis: { i: 2 } }, { outputs: [`present.${l}.key`] })[0]!; // (B, KV, T, D)
    const values = g.op('Concat', [past[l]![1], v], { axis: { i: 2 } }, { outputs: [`present.${l}.value`] })[0]!;
    // grouped-query attention without repeating the cache: query head h uses kv head h / groups, so (B, H, S, D)
    // read as (B, KV, groups·S, D) lines every query up with its kv head
    const qGrouped = g.op1('Reshape', [g.op1('Mul', [q, scalarF(D ** -0.5)]), g.int64([0, s.kvHeads, -1, D])]);
    const scores = g.op1('MatMul', [qGrouped, g.op1('Transpose', [keys], { perm: { ints: [0, 1, 3, 2] } })]);
    const masked = g.op1('Add', [g.op1('Reshape', [scores, g.int64([0, s.heads, -1, 0])]), maskAdd]); // (B, H, S, T)
    const probs = g.op1('Softmax', [masked], { axis: { i: -1 } }, { name: `${scope}/self_attn/Softmax` });
    const context = g.op1('MatMul', [g.op1('Reshape', [probs, g.int64([0, s.kvHeads, -1, 0])]), values]); // (B, KV, G·S, D)
    const merged = g.op1('Reshape', [
      g.op1('Transpose', [g.op1('Reshape', [context, g.int64([0, s.heads, -1, 0])])], { perm: { ints: [0, 2, 1, 3] } }),
      g.int64([0, 0, s.heads * D]),
    ]);
    x = g.op1('Add', [x, linear(merged, `${scope}/self_attn/o_proj`, s.heads * D, s.hidden)]);

    const h2 = rmsNorm(
      x,
      `${scope}/post_attention_layernorm`,
      normWeight(`model.layers.${l}.post_attention_layernorm.weight`, s.hidden),
    );
    const gate = linear(h2, `${scope}/mlp/gate_proj`, s.hidden, s.intermediate);
    const up = linear(h2, `${scope}/mlp/up_proj`, s.hidden, s.intermediate);
    const act = g.op1('Mul', [g.op1('Mul', [gate, g.op1('Sigmoid', [gate])]), up], {}, { name: `${scope}/mlp/Mul` });
    x = g.op1('Add', [x, linear(act, `${scope}/mlp/down_proj`, s.intermediate, s.hidden)]);
  }
  const final = rmsNorm(x, '/model/norm', normWeight('model.norm.weight', s.hidden));
  linear(final, '/lm_head', s.hidden, s.vocab, 'logits');
  return g.model('llama-decoder', 'vblora.js bench');
}
