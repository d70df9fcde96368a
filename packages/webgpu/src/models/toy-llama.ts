/**
 * `ToyLlamaGpu`: the golden fixtures' ToyLlama (generator/toy_models.py) on the WebGPU runtime, with an unmerged
 * VB-LoRA adapter on any of its linear layers. Per layer `model.layers.{i}`:
 * `x = x + o_proj(softmax(q·kᵀ/√hidden)·v)` with q, k, v = `{q,k,v}_proj(x)` (one head, no mask), then
 * `x = x + down_proj(relu(up_proj(x)))`; finally `head(x)`. Weights are uploaded once; activations stay on the GPU
 * until the output is read.
 * @module
 */
import {
  DTypeError,
  formatShape,
  isFloatDType,
  ShapeError,
  toF32,
  UnsupportedError,
  type HostTensor,
  type LowRankPair,
} from '@vblora/core';
import { gpuAttention } from '../ops/attention.js';
import type { GpuLowRankPair } from '../ops/compose.js';
import { gpuAdd, gpuRelu } from '../ops/elementwise.js';
import { GpuTensorError } from '../errors.js';
import type { GpuTensor } from '../runtime/gpu-tensor.js';
import type { WebGpuRuntime } from '../webgpu-runtime.js';
import { openAdapterScope, type AdapterScope, type GpuModelAdapter } from './adapter-scope.js';
import { toyLlamaLayout, type ToyLinearSpec, type ToyLlamaLayout, type ToyLlamaSizes } from './toy-llama-layout.js';

/** An adapter as {@link ToyLlamaGpu.forward} takes it: A/B per module path (plus replaced tensors), or no adapter. */
export type ToyLlamaAdapterInput = GpuModelAdapter | ReadonlyMap<string, LowRankPair | GpuLowRankPair>;

/** A ToyLlama whose weights live on one WebGPU runtime. Create it with {@link createToyLlamaGpu}. */
export class ToyLlamaGpu {
  /** The runtime holding the weights. */
  readonly runtime: WebGpuRuntime;
  /** Sizes read from the state dict. */
  readonly sizes: ToyLlamaSizes;
  /** Paths of the linear modules, in forward order (the names an adapter's modules use). */
  readonly modulePaths: readonly string[];
  private readonly layout: ToyLlamaLayout;
  private readonly byPath: Map<string, ToyLinearSpec>;
  private readonly weights: Map<string, GpuTensor<'f32'>>;
  private readonly shapes: Map<string, readonly number[]>;

  /** @internal Use {@link createToyLlamaGpu}. */
  constructor(runtime: WebGpuRuntime, layout: ToyLlamaLayout, weights: Map<string, GpuTensor<'f32'>>) {
    this.runtime = runtime;
    this.layout = layout;
    const { hidden, intermediate, layers, nOut } = layout;
    this.sizes = { hidden, intermediate, layers, nOut };
    this.modulePaths = layout.linears.map((l) => l.path);
    this.byPath = new Map(layout.linears.map((l) => [l.path, l]));
    this.weights = weights;
    this.shapes = new Map([...weights].map(([k, t]) => [k, t.shape]));
  }

  /**
   * Runs the model on a host input (..., seq, hidden) and reads the output (..., seq, nOut) back. With an adapter,
   * every module it names computes `base(x) + (x·Aᵀ)·Bᵀ` (fused into the base matmul), and the tensors it
   * replaces (a modules_to_save `head`) are used instead of the base ones.
   * @throws {ShapeError} for an input of the wrong shape or dtype, or adapter tensors that do not fit the model.
   * @throws {AdapterError} for an adapter module or tensor the model does not have.
   */
  async forward(x: HostTensor, adapter?: ToyLlamaAdapterInput): Promise<HostTensor<'f32'>> {
    if (!isFloatDType(x.dtype)) throw new DTypeError(`ToyLlama: x must be a float tensor, got ${x.dtype}`, 'x');
    const gx = this.runtime.upload(toF32(x), 'x');
    try {
      const y = await this.forwardGpu(gx, adapter);
      try {
        return await y.read();
      } finally {
        y.dispose();
      }
    } finally {
      gx.dispose();
    }
  }

  /** {@link ToyLlamaGpu.forward} on a GPU input, leaving the output (..., seq, nOut) on the GPU (x is not disposed). */
  async forwardGpu(x: GpuTensor<'f32'>, adapter?: ToyLlamaAdapterInput): Promise<GpuTensor<'f32'>> {
    const { hidden, layers } = this.layout;
    if (this.weights.size === 0) throw new GpuTensorError('a ToyLlamaGpu was used after dispose()');
    if (x.dtype !== 'f32' || x.shape.length < 2 || x.shape[x.shape.length - 1] !== hidden) {
      throw new ShapeError(
        `ToyLlama: x must be f32 (..., seq, hidden=${hidden}), got ${x.dtype} ${formatShape(x.shape)}`,
        'x',
      );
    }
    const scope = openAdapterScope(this.runtime, this.layout.linears, this.shapes, adapter);
    // every intermediate is freed as soon as it is used, and all of them (again: dispose is idempotent) on a throw
    const live: GpuTensor[] = [];
    const keep = (t: GpuTensor<'f32'>): GpuTensor<'f32'> => {
      live.push(t);
      return t;
    };
    const free = (...ts: GpuTensor[]): void => {
      for (const t of ts) if (t !== x) t.dispose();
    };
    const lin = async (i: number, name: string, input: GpuTensor<'f32'>) =>
      keep(await this.linear(`model.layers.${i}.${name}`, input, scope));
    try {
      let h = x;
      for (let i = 0; i < layers; i++) {
        const q = await lin(i, 'self_attn.q_proj', h);
        const k = await lin(i, 'self_attn.k_proj', h);
        const v = await lin(i, 'self_attn.v_proj', h);
        const att = keep(await gpuAttention(this.runtime, q, k, v));
        free(q, k, v);
        const o = await lin(i, 'self_attn.o_proj', att);
        free(att);
        const h1 = keep(await gpuAdd(this.runtime, h, o));
        free(o, h);
        const up = await lin(i, 'mlp.up_proj', h1);
        const act = keep(await gpuRelu(this.runtime, up));
        free(up);
        const down = await lin(i, 'mlp.down_proj', act);
        free(act);
        h = keep(await gpuAdd(this.runtime, h1, down));
        free(down, h1);
      }
      const y = await this.linear('head', h, scope);
      free(h);
      return y;
    } finally {
      free(...live);
      scope.dispose();
    }
  }

  /** Frees the weights on the GPU (the runtime stays open); the model is unusable afterwards. */
  dispose(): void {
    for (const t of this.weights.values()) t.dispose();
    this.weights.clear();
  }

  /** One linear module: base weight and bias (or the adapter's replacements), plus the adapter's A/B if any. */
  private linear(path: string, x: GpuTensor<'f32'>, scope: AdapterScope): Promise<GpuTensor<'f32'>> {
    const spec = this.byPath.get(path)!;
    const param = (key: string): GpuTensor<'f32'> => scope.replaced(key) ?? this.weights.get(key)!;
    const weight = param(`${path}.weight`);
    const bias = spec.hasBias ? param(`${path}.bias`) : undefined;
    const pair = scope.pair(path);
    const base = bias === undefined ? { x, weight } : { x, weight, bias };
    return pair === undefined
      ? this.runtime.linear(base)
      : this.runtime.linearWithAdapter({ ...base, A: pair.A, B: pair.B });
  }
}

/**
 * Uploads a ToyLlama state dict (PEFT key names, e.g. `model.layers.0.self_attn.q_proj.weight` (out, in),
 * `head.bias`) to the runtime; sizes and layer count are read off the tensors. Only float32 models run here.
 * @throws {UnsupportedError} for bf16/f16 weights (their activations would need torch's half rounding: run them
 * on the tf.js backend); `AdapterError` or `ShapeError` for a missing or misshapen weight.
 * @example
 * ```ts
 * const model = createToyLlamaGpu(rt, readSafetensors(baseBytes).tensors);
 * const pairs = await composeAdapterOnGpu(rt, adapter);
 * const y = await model.forward(x, { pairs, extraTensors: adapter.extraTensors });
 * ```
 */
export function createToyLlamaGpu(rt: WebGpuRuntime, stateDict: ReadonlyMap<string, HostTensor>): ToyLlamaGpu {
  const layout = toyLlamaLayout(stateDict);
  const keys = layout.linears.flatMap((l) =>
    l.hasBias ? [`${l.path}.weight`, `${l.path}.bias`] : [`${l.path}.weight`],
  );
  const half = keys.find((k) => stateDict.get(k)!.dtype !== 'f32');
  if (half !== undefined) {
    throw new UnsupportedError(
      `ToyLlama on WebGPU runs float32 models only; ${half} is ${stateDict.get(half)!.dtype} (a half-precision model ` +
        'rounds its activations as torch does, which the tf.js backend emulates)',
    );
  }
  const weights = new Map<string, GpuTensor<'f32'>>();
  try {
    for (const k of keys) weights.set(k, rt.upload(stateDict.get(k) as HostTensor<'f32'>, k));
  } catch (e) {
    for (const t of weights.values()) t.dispose();
    throw e;
  }
  return new ToyLlamaGpu(rt, layout, weights);
}
