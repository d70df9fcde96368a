/**
 * Building a toy model straight from a PEFT base state dict (base.safetensors): sizes, layer count and dtype are
 * read off the tensors.
 * @module
 */
import { AdapterError, isFloatDType, type HostTensor, type WeightDType } from '@vblora/core';
import { buildToyGPT2 } from './toy-gpt2.js';
import { buildToyLinear } from './toy-linear.js';
import { buildToyLlama } from './toy-llama.js';
import { loadToyStateDict, type ToyFamily, type ToyModel } from './toy-model.js';

function weight(sd: ReadonlyMap<string, HostTensor>, key: string): HostTensor {
  const t = sd.get(key);
  if (t === undefined || t.shape.length !== 2) throw new AdapterError(`the state dict has no 2-D ${key}`, key);
  return t;
}

function layerCount(sd: ReadonlyMap<string, HostTensor>, prefix: string): number {
  const ids = new Set<number>();
  for (const key of sd.keys()) {
    const m = key.startsWith(prefix) ? /^(\d+)\./.exec(key.slice(prefix.length)) : null;
    if (m !== null) ids.add(Number(m[1]));
  }
  return ids.size;
}

/**
 * Builds the toy model of `family` sized after a PEFT state dict and loads its weights; the dtype (f32, bf16,
 * f16) is that of the weights.
 * @throws {AdapterError} when a tensor the family needs is missing or has an unsupported dtype.
 * @example
 * ```ts
 * const { tensors } = readSafetensors(bytes);
 * const toy = toyFromStateDict('llama', tensors);
 * ```
 */
export function toyFromStateDict(family: ToyFamily, sd: ReadonlyMap<string, HostTensor>): ToyModel {
  let toy: ToyModel;
  let probe: HostTensor;
  if (family === 'llama') {
    probe = weight(sd, 'model.layers.0.self_attn.q_proj.weight');
    const dtype = dtypeOf(probe);
    toy = buildToyLlama({
      hidden: probe.shape[1]!,
      intermediate: weight(sd, 'model.layers.0.mlp.up_proj.weight').shape[0]!,
      layers: layerCount(sd, 'model.layers.'),
      nOut: weight(sd, 'head.weight').shape[0]!,
      dtype,
    });
  } else if (family === 'gpt2') {
    probe = weight(sd, 'transformer.h.0.attn.c_attn.weight');
    toy = buildToyGPT2({
      hidden: probe.shape[0]!,
      intermediate: weight(sd, 'transformer.h.0.mlp.c_fc.weight').shape[1]!,
      layers: layerCount(sd, 'transformer.h.'),
      dtype: dtypeOf(probe),
    });
  } else {
    probe = weight(sd, 'proj.weight');
    toy = buildToyLinear({ nIn: probe.shape[1]!, nOut: probe.shape[0]!, dtype: dtypeOf(probe) });
  }
  loadToyStateDict(toy, sd);
  return toy;
}

function dtypeOf(t: HostTensor): WeightDType {
  if (!isFloatDType(t.dtype) || t.dtype === 'f64') {
    throw new AdapterError(`toy models hold f32, bf16 or f16 weights, got ${t.dtype}`);
  }
  return t.dtype;
}
