/**
 * Synthetic inputs of the ONNX injection benchmark: a Llama-shaped ONNX graph named as `torch.onnx.export` names it
 * (`/model/layers.0/self_attn/q_proj/MatMul` + anonymous (in, out) weights) and random VB-LoRA adapters.
 * @module
 */
import {
  createConfig,
  createRng,
  tensor,
  type AdapterModule,
  type HostTensor,
  type Rng,
  type VBLoRAAdapter,
} from '@vblora/core';
import { encodeOnnxModel, GraphBuilder } from '@vblora/onnx';

/** Sizes of the synthetic model: hidden, intermediate, number of layers. */
export interface OnnxBenchShape {
  readonly h: number;
  readonly inter: number;
  readonly layers: number;
}

/** Uniform(−scale, scale) float32 tensor from a seeded stream. */
function uniform(rng: Rng, shape: readonly number[], scale: number): HostTensor<'f32'> {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (rng.uniform() * 2 - 1) * scale;
  return tensor('f32', shape, data);
}

/** A Llama-like model: `layers` blocks of single-head attention + ReLU MLP, hidden `h`, intermediate `inter`. */
export function llamaModel({ h, inter, layers, seed = 1 }: OnnxBenchShape & { readonly seed?: number }): Uint8Array {
  const rng = createRng(seed);
  const g = new GraphBuilder('');
  let anon = 100;
  g.input('x', 'f32', ['batch', 'seq', h]);
  const linear = (path: string, x: string, inF: number, outF: number, bias: boolean): string => {
    const scope = `/${path
      .replace(/\.(\d+)\./g, '.$1/')
      .replaceAll('.', '/')
      .replace(/\/(\d+)\//g, '.$1/')}`;
    const w = g.init(`onnx::MatMul_${anon++}`, uniform(rng, [inF, outF], 1 / Math.sqrt(inF)));
    const y = g.op1('MatMul', [x, w], {}, { name: `${scope}/MatMul` });
    if (!bias) return y;
    return g.op1('Add', [g.init(`${path}.bias`, uniform(rng, [outF], 0.02)), y], {}, { name: `${scope}/Add` });
  };
  let x = 'x';
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}`;
    const q = linear(`${p}.self_attn.q_proj`, x, h, h, true);
    const k = linear(`${p}.self_attn.k_proj`, x, h, h, true);
    const v = linear(`${p}.self_attn.v_proj`, x, h, h, true);
    const s = g.op1('Div', [
      g.op1('MatMul', [q, g.op1('Transpose', [k], { perm: { ints: [0, 2, 1] } })]),
      g.float32([Math.sqrt(h)], []),
    ]);
    const att = g.op1('MatMul', [g.op1('Softmax', [s], { axis: { i: -1 } }), v]);
    x = g.op1('Add', [x, linear(`${p}.self_attn.o_proj`, att, h, h, false)]);
    const up = g.op1('Relu', [linear(`${p}.mlp.up_proj`, x, h, inter, true)]);
    x = g.op1('Add', [x, linear(`${p}.mlp.down_proj`, up, inter, h, false)]);
  }
  g.op('Identity', [x], {}, { outputs: ['y'] });
  g.output('y', 'f32', ['batch', 'seq', h]);
  return encodeOnnxModel(g.model('bench_llama', 'pytorch'));
}

/** Options of {@link randomAdapter}: the model's shape and the adapter's sizes, seed and name. */
export interface RandomAdapterOptions extends OnnxBenchShape {
  readonly r?: number;
  readonly nv?: number;
  readonly vl?: number;
  readonly k?: number;
  readonly seed?: number;
  readonly name?: string;
}

/** A random VB-LoRA adapter (full logits) on q/v/up/down of every layer. */
export function randomAdapter(o: RandomAdapterOptions): VBLoRAAdapter {
  const { h, inter, layers, r = 4, nv = 2048, vl = 256, k = 2, seed = 7, name = 'default' } = o;
  const rng = createRng(seed);
  const config = createConfig({
    r,
    num_vectors: nv,
    vector_length: vl,
    topk: k,
    target_modules: ['q_proj', 'v_proj', 'up_proj', 'down_proj'],
  });
  const modules = new Map<string, AdapterModule>();
  const dims: Record<string, readonly [number, number]> = {
    'self_attn.q_proj': [h, h],
    'self_attn.v_proj': [h, h],
    'mlp.up_proj': [h, inter],
    'mlp.down_proj': [inter, h],
  };
  for (let i = 0; i < layers; i++) {
    for (const [m, [inF, outF]] of Object.entries(dims)) {
      const path = `model.layers.${i}.${m}`;
      modules.set(path, {
        path,
        inFeatures: inF,
        outFeatures: outF,
        a: { kind: 'logits', logits: uniform(rng, [r, inF / vl, nv], 4) },
        b: { kind: 'logits', logits: uniform(rng, [outF / vl, r, nv], 4) },
      });
    }
  }
  return {
    name,
    config,
    bank: uniform(rng, [nv, vl], 0.1),
    modules,
    extraTensors: new Map(),
    metadata: { format: 'pt' },
  };
}
