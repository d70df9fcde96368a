/**
 * ToyLlama, the Llama-shaped toy model of PEFT's golden fixtures (`generator/toy_models.py`), as an ONNX graph
 * built from its PyTorch state dict: a base model to merge adapters into or inject them in, without PyTorch.
 * @module
 */
import { AdapterError, type HostTensor } from '@vblora/core';
import type { OnnxModel } from '../model-io/onnx-model.js';
import { decodeOnnxModel, encodeOnnxModel } from '../model-io/decode-model.js';
import { ToyGraph, type ToyStyle } from './toy-graph.js';

/** Options of {@link toyLlamaOnnx}. */
export interface ToyLlamaOnnxOptions {
  /**
   * `torch` (default): node names and anonymous transposed weights as `torch.onnx.export` writes them; `named`:
   * `Gemm` nodes on the state dict's weights under their PEFT names, node names meaningless.
   */
  readonly style?: ToyStyle;
  /** Drop all node names (only a user mapping can then find `torch`-style weights). Default false. */
  readonly stripNames?: boolean;
  /** Graph name (default `toy_llama`). */
  readonly name?: string;
}

/** Sizes of a ToyLlama, read off its state dict. */
export interface ToyLlamaDims {
  readonly hidden: number;
  readonly intermediate: number;
  readonly layers: number;
  readonly nOut: number;
}

function matrix(sd: ReadonlyMap<string, HostTensor>, key: string): readonly [number, number] {
  const t = sd.get(key);
  if (t === undefined || t.shape.length !== 2) throw new AdapterError(`a ToyLlama state dict needs a 2-D ${key}`, key);
  return t.shape as [number, number];
}

/**
 * The sizes of the ToyLlama a state dict describes (hidden from `q_proj`, intermediate from `up_proj`, outputs
 * from `head`, layers from the `model.layers.<i>.` keys).
 * @throws {AdapterError} when a key the sizes come from is missing or not a matrix.
 */
export function toyLlamaDims(stateDict: ReadonlyMap<string, HostTensor>): ToyLlamaDims {
  const ids = new Set<number>();
  for (const key of stateDict.keys()) {
    const m = /^model\.layers\.(\d+)\./.exec(key);
    if (m !== null) ids.add(Number(m[1]));
  }
  return {
    hidden: matrix(stateDict, 'model.layers.0.self_attn.q_proj.weight')[1],
    intermediate: matrix(stateDict, 'model.layers.0.mlp.up_proj.weight')[0],
    layers: ids.size,
    nOut: matrix(stateDict, 'head.weight')[0],
  };
}

/** Every tensor of a ToyLlama state dict (a missing bias would otherwise build a model without it). */
function requireTensors(sd: ReadonlyMap<string, HostTensor>, layers: number): void {
  const linear = (path: string, bias: boolean) => [`${path}.weight`, ...(bias ? [`${path}.bias`] : [])];
  const keys = linear('head', true);
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}`;
    for (const m of ['q_proj', 'k_proj', 'v_proj']) keys.push(...linear(`${p}.self_attn.${m}`, true));
    keys.push(
      ...linear(`${p}.self_attn.o_proj`, false),
      ...linear(`${p}.mlp.up_proj`, true),
      ...linear(`${p}.mlp.down_proj`, false),
    );
  }
  for (const k of keys) if (!sd.has(k)) throw new AdapterError(`a ToyLlama state dict needs ${k}`, k);
}

/**
 * Builds ToyLlama as an ONNX model (IR 8, opset 17) holding the state dict's weights: per layer
 * `x += o_proj(softmax(q·kᵀ/√hidden)·v)` (one head, no mask; q/k/v with bias, o without) and
 * `x += down_proj(relu(up_proj(x)))` (up with bias, down without), then `head` (with bias). Keys are PEFT's
 * (`model.layers.0.self_attn.q_proj.weight`, …, `head.bias`); sizes come from the tensors. Input `x` float32
 * (batch, seq, hidden), output `y` float32 (batch, seq, nOut). float32 weights compute in float32; bfloat16
 * weights give a bf16 graph that rounds each op's float32 result, as torch's CPU kernels do. The model is not
 * `ownsBytes`, so merging it writes a new file and leaves it as it is.
 * @example
 * ```ts
 * const { tensors } = readSafetensors(await readFile('base.safetensors'));
 * const model = toyLlamaOnnx(tensors);
 * await mergeOnnxModel(model, adapter, 'merged.onnx');
 * ```
 * @throws {AdapterError} when a weight or bias is missing, or the weights are neither float32 nor bfloat16.
 */
export function toyLlamaOnnx(stateDict: ReadonlyMap<string, HostTensor>, options: ToyLlamaOnnxOptions = {}): OnnxModel {
  const dims = toyLlamaDims(stateDict);
  requireTensors(stateDict, dims.layers);
  const dtype = stateDict.get('model.layers.0.self_attn.q_proj.weight')!.dtype;
  if (dtype !== 'f32' && dtype !== 'bf16')
    throw new AdapterError(`toyLlamaOnnx builds float32 or bfloat16 models, the weights are ${dtype}`);
  const t = new ToyGraph(stateDict, options.style ?? 'torch', dtype, options.stripNames ?? false);
  let x = t.begin(dims.hidden);
  for (let i = 0; i < dims.layers; i++) {
    const p = `model.layers.${i}`;
    const scope = `/model/layers.${i}`;
    const q = t.linear(`${p}.self_attn.q_proj`, x);
    const k = t.linear(`${p}.self_attn.k_proj`, x);
    const v = t.linear(`${p}.self_attn.v_proj`, x);
    const att = t.attention(`${scope}/self_attn`, q, k, v, dims.hidden);
    x = t.add(scope, x, t.linear(`${p}.self_attn.o_proj`, att));
    const up = t.relu(`${scope}/mlp/act`, t.linear(`${p}.mlp.up_proj`, x));
    x = t.add(`${scope}/res`, x, t.linear(`${p}.mlp.down_proj`, up));
  }
  t.end(t.linear('head', x), dims.nOut);
  return decodeOnnxModel(encodeOnnxModel(t.g.model(options.name ?? 'toy_llama', 'vblora.js')));
}
