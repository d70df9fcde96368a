/**
 * What the AdapterStore tests share: the tiny Optimum-style decoder injected with VB-LoRA inputs, and seeded
 * top-k adapters for it (core's decoder adapters converted to PEFT's save_only_topk_weights form, which is what a
 * store keeps).
 */
import { expect } from 'vitest';
import { toTopkAdapter, type VBLoRAAdapter } from '@vblora/core';
import {
  decodeOnnxModel,
  injectAdapterInputs,
  isHotSwap,
  prepareAdapter,
  type HotSwapInjectionInfo,
  type OnnxModel,
  type PreparedAdapter,
} from '@vblora/onnx';
import { ADAPTED } from '../helpers/branch-checks.js';
import { buildDecoder, decoderWeights } from '../helpers/decoder-graphs.js';
import { decoderAdapter } from '../helpers/decoder-runs.js';

export const WEIGHTS = decoderWeights();

/** A seeded top-k adapter of rank `r` on every adapted module of the tiny decoder. */
export function topkAdapter(seed: number, r = 4): VBLoRAAdapter {
  return toTopkAdapter(decoderAdapter(WEIGHTS, ADAPTED, seed, `s${seed}`, r)).adapter;
}

/** The tiny fp32 decoder injected in `variant`, and its description. */
export async function injectedDecoder(
  variant: 'lowrank' | 'topk',
): Promise<{ model: OnnxModel; info: HotSwapInjectionInfo }> {
  const built = buildDecoder(WEIGHTS, 'fp32');
  const inj = await injectAdapterInputs(decodeOnnxModel(built.bytes), { adapter: topkAdapter(1), variant });
  if (!isHotSwap(inj.info)) throw new Error('not a hot-swap model');
  return { model: inj.model, info: inj.info };
}

/** Asserts that a lease's prepared adapter holds exactly (bit for bit) what a fresh `prepareAdapter` gives. */
export async function expectSameAsFresh(
  info: HotSwapInjectionInfo,
  got: PreparedAdapter,
  adapter: VBLoRAAdapter,
  label: string,
): Promise<void> {
  const want = await prepareAdapter(info, got.name, adapter);
  expect(got.name).toBe(want.name);
  expect([...got.lowRank.keys()], `${label}: modules`).toEqual([...want.lowRank.keys()]);
  for (const [path, w] of want.lowRank) {
    const g = got.lowRank.get(path)!;
    // tolerance: none — the same kernel on the same inputs; compared as bit patterns (signed zeros, NaN payloads)
    expect(new Uint32Array(g.A.buffer, g.A.byteOffset, g.A.length), `${label} ${path} A`).toEqual(
      new Uint32Array(w.A.buffer, w.A.byteOffset, w.A.length),
    );
    expect(new Uint32Array(g.B.buffer, g.B.byteOffset, g.B.length), `${label} ${path} B`).toEqual(
      new Uint32Array(w.B.buffer, w.B.byteOffset, w.B.length),
    );
  }
  for (const [path, w] of want.topk) {
    const g = got.topk.get(path)!;
    expect(Array.from(g.aIndices), `${label} ${path} aIndices`).toEqual(Array.from(w.aIndices));
    expect(Array.from(g.bIndices), `${label} ${path} bIndices`).toEqual(Array.from(w.bIndices));
    expect(new Uint32Array(g.aWeights.buffer, g.aWeights.byteOffset, g.aWeights.length)).toEqual(
      new Uint32Array(w.aWeights.buffer, w.aWeights.byteOffset, w.aWeights.length),
    );
    expect(new Uint32Array(g.bWeights.buffer, g.bWeights.byteOffset, g.bWeights.length)).toEqual(
      new Uint32Array(w.bWeights.buffer, w.bWeights.byteOffset, w.bWeights.length),
    );
  }
}
