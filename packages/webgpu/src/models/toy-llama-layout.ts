/**
 * The layout of a ToyLlama state dict (the golden fixtures' toy model, PEFT key names): its sizes, read off the
 * tensors, and the linear modules in forward order.
 * @module
 */
import { AdapterError, formatShape, ShapeError, type HostTensor } from '@vblora/core';

/** Sizes of a ToyLlama, read from its state dict by {@link toyLlamaLayout}. */
export interface ToyLlamaSizes {
  /** Width of the residual stream (q/k/v/o are hidden → hidden). */
  readonly hidden: number;
  /** Width of the MLP (up: hidden → intermediate). */
  readonly intermediate: number;
  /** Number of decoder layers `model.layers.{i}`. */
  readonly layers: number;
  /** Outputs of `head`. */
  readonly nOut: number;
}

/** One linear module of the model: its PEFT path, (out, in) and whether the state dict has its bias. */
export interface ToyLinearSpec {
  /** Module path, e.g. `model.layers.0.self_attn.q_proj`. */
  readonly path: string;
  /** Rows of the weight. */
  readonly outFeatures: number;
  /** Columns of the weight. */
  readonly inFeatures: number;
  /** True when the state dict has `<path>.bias`. */
  readonly hasBias: boolean;
}

/** Sizes and linear modules of a ToyLlama state dict. */
export interface ToyLlamaLayout extends ToyLlamaSizes {
  /** Every linear module, in forward order (q, k, v, o, up, down of each layer, then head). */
  readonly linears: readonly ToyLinearSpec[];
}

const PROJ = [
  'self_attn.q_proj',
  'self_attn.k_proj',
  'self_attn.v_proj',
  'self_attn.o_proj',
  'mlp.up_proj',
  'mlp.down_proj',
];

function layerCount(keys: Iterable<string>): number {
  let n = 0;
  for (const key of keys) {
    const m = /^model\.layers\.(\d+)\./.exec(key);
    if (m !== null) n = Math.max(n, Number(m[1]) + 1);
  }
  return n;
}

/**
 * Reads the sizes and linear modules of a ToyLlama from its state dict (`model.layers.{i}.self_attn.q_proj.weight`
 * (out, in), …, `head.weight`), checking every weight's shape against the sizes of layer 0.
 * @throws {AdapterError} when a weight is missing; `ShapeError` when a weight or bias has the wrong shape.
 */
export function toyLlamaLayout(sd: ReadonlyMap<string, HostTensor>): ToyLlamaLayout {
  const dims = (key: string): [number, number] => {
    const t = sd.get(key);
    if (t === undefined) throw new AdapterError(`the ToyLlama state dict has no ${key}`, key);
    if (t.shape.length !== 2) throw new ShapeError(`${key} must be 2-D (out, in), got ${formatShape(t.shape)}`, key);
    return t.shape as [number, number];
  };
  const hidden = dims('model.layers.0.self_attn.q_proj.weight')[1];
  const intermediate = dims('model.layers.0.mlp.up_proj.weight')[0];
  const nOut = dims('head.weight')[0];
  const layers = layerCount(sd.keys());
  const linears: ToyLinearSpec[] = [];
  const add = (path: string, outFeatures: number, inFeatures: number): void => {
    const [o, i] = dims(`${path}.weight`);
    if (o !== outFeatures || i !== inFeatures) {
      throw new ShapeError(`${path}.weight must be (${outFeatures}, ${inFeatures}), got (${o}, ${i})`, path);
    }
    const bias = sd.get(`${path}.bias`);
    if (bias !== undefined && (bias.shape.length !== 1 || bias.shape[0] !== outFeatures)) {
      throw new ShapeError(`${path}.bias must be (${outFeatures},), got ${formatShape(bias.shape)}`, path);
    }
    linears.push({ path, outFeatures, inFeatures, hasBias: bias !== undefined });
  };
  for (let i = 0; i < layers; i++) {
    for (const name of PROJ) {
      const [o, n] =
        name === 'mlp.up_proj'
          ? [intermediate, hidden]
          : name === 'mlp.down_proj'
            ? [hidden, intermediate]
            : [hidden, hidden];
      add(`model.layers.${i}.${name}`, o, n);
    }
  }
  add('head', nOut, hidden);
  return { hidden, intermediate, layers, nOut, linears };
}
