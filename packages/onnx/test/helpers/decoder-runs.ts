/**
 * Adapters for the test decoders, and runs that look inside a layer: "probes" turn a layer's input x, its base
 * output (`<output>/vblora_base`, the untouched base op's value in the same run) and its adapted output into graph
 * outputs, so each branch can be checked against core's `adapterForward` on exactly the values onnxruntime saw.
 */
import * as ort from 'onnxruntime-node';
import {
  adapterForward,
  composeAdapter,
  createConfig,
  createRng,
  tensor,
  toF32,
  type AdapterModule,
  type HostTensor,
  type LowRankPair,
  type VBLoRAAdapter,
} from '@vblora/core';
import {
  fromOrtTensor,
  mapGraphModules,
  toOrtTensor,
  valueInfo,
  type GraphModule,
  type OnnxModel,
  type onnx,
} from '@vblora/onnx';
import type { DecoderWeights } from './decoder-graphs.js';
import { QUIET } from './ort.js';

/** A seeded full-logits adapter on `paths` of the decoder (vector_length 16 divides every width). */
export function decoderAdapter(
  weights: DecoderWeights,
  paths: readonly string[],
  seed: number,
  name = `s${seed}`,
  r = 4,
): VBLoRAAdapter {
  const rng = createRng(seed);
  const nv = 32;
  const vl = 16;
  const normal = (n: number, scale: number) =>
    Float32Array.from({ length: n }, () => Math.fround(rng.normal() * scale));
  const modules = new Map<string, AdapterModule>();
  for (const path of paths) {
    const { inF, outF } = weights.linear.get(path)!;
    modules.set(path, {
      path,
      inFeatures: inF,
      outFeatures: outF,
      a: { kind: 'logits', logits: tensor('f32', [r, inF / vl, nv], normal(r * (inF / vl) * nv, 1)) },
      b: { kind: 'logits', logits: tensor('f32', [outF / vl, r, nv], normal((outF / vl) * r * nv, 1)) },
    });
  }
  const targets = [...new Set(paths.map((p) => p.split('.').pop()!))];
  const config = createConfig({ r, num_vectors: nv, vector_length: vl, topk: 2, target_modules: targets });
  // bank U(−0.5, 0.5): branch terms of a few tenths, visible next to outputs of order 1
  const bank = tensor(
    'f32',
    [nv, vl],
    Float32Array.from({ length: nv * vl }, () => Math.fround(rng.uniform() - 0.5)),
  );
  return { name, config, bank, modules, extraTensors: new Map(), metadata: { format: 'pt' } };
}

/** The probe outputs of one layer use. */
export interface Probe {
  readonly layer: GraphModule;
  readonly x: string;
  readonly base: string;
  readonly y: string;
}

/** Adds every top-level adapted layer's x, base output and adapted output as graph outputs (mutates `proto`). */
export function addProbes(model: OnnxModel, base: OnnxModel, paths: readonly string[]): Probe[] {
  const mapping = mapGraphModules(base);
  const graph = model.proto.graph!;
  const probes: Probe[] = [];
  const have = new Set((graph.output ?? []).map((o) => o.name));
  const add = (name: string, dtype: 'f32' | 'f16'): void => {
    if (!have.has(name)) graph.output!.push(valueInfo(name, dtype));
    have.add(name);
  };
  for (const path of paths) {
    for (const layer of mapping.require(path)) {
      if (layer.subgraph.length > 0) continue;
      const p = { layer, x: layer.input, base: `${layer.output}/vblora_base`, y: layer.output };
      add(p.x, layer.computeDtype as 'f32' | 'f16');
      add(p.base, layer.outputDtype as 'f32' | 'f16');
      add(p.y, layer.outputDtype as 'f32' | 'f16');
      probes.push(p);
    }
  }
  return probes;
}

/** One run of a model (bytes or path) with host-tensor feeds; every output back as a host tensor. */
export async function runHost(
  model: Uint8Array | string,
  feeds: Record<string, HostTensor | ort.Tensor>,
): Promise<Record<string, HostTensor>> {
  const session =
    typeof model === 'string'
      ? await ort.InferenceSession.create(model, QUIET)
      : await ort.InferenceSession.create(model, QUIET);
  try {
    const f: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) f[k] = v instanceof ort.Tensor ? v : toOrtTensor(v as HostTensor);
    const out = await session.run(f);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, fromOrtTensor(v)]));
  } finally {
    await session.release();
  }
}

/** Rows [from, to) of a (rows, ...) tensor. */
export function rowsOf<T extends HostTensor>(t: T, from: number, to: number): T {
  const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const data = (t.data as Float32Array).subarray(from * per, to * per);
  return { ...t, shape: [to - from, ...t.shape.slice(1)], data } as T;
}

/**
 * What the layer should output on the probed x and base: core's `adapterForward` (PEFT's forward:
 * y = round_dtype(f32(base) + (f32(x)·Aᵀ)·Bᵀ)) per batch row, with that row's A/B (null: no adapter, y = base).
 */
export function expectedOutput(x: HostTensor, base: HostTensor, rows: readonly (LowRankPair | null)[]): HostTensor {
  const outDtype = base.dtype;
  const parts = rows.map((pair, i) => {
    const n = rows.length;
    const per = x.shape[0]! / n;
    const xs = rows.length === 1 ? x : rowsOf(x, i * per, (i + 1) * per);
    const bs = rows.length === 1 ? base : rowsOf(base, i * per, (i + 1) * per);
    if (pair === null) return bs;
    return adapterForward({ x: xs as HostTensor<'f32'>, baseOut: bs as HostTensor<'f32'>, A: pair.A, B: pair.B });
  });
  if (parts.length === 1) return parts[0]!;
  const total = parts.reduce((a, p) => a + p.data.length, 0);
  const data = outDtype === 'f16' ? new Uint16Array(total) : new Float32Array(total);
  let at = 0;
  for (const p of parts) {
    (data as Float32Array).set(p.data as Float32Array, at);
    at += p.data.length;
  }
  return { dtype: outDtype, shape: base.shape, data } as HostTensor;
}

/** Composed A/B of every module of an adapter. */
export async function pairsOf(adapter: VBLoRAAdapter): Promise<Map<string, LowRankPair>> {
  return composeAdapter(adapter);
}

/** max |t| over a tensor, in float32. */
export function maxAbs(t: HostTensor): number {
  let m = 0;
  for (const v of toF32(t).data) m = Math.max(m, Math.abs(v));
  return m;
}

/** The proto nodes of a graph that apply a layer's weight (for "the base op is untouched" checks). */
export function baseOpNodes(proto: onnx.IModelProto, layer: GraphModule): onnx.INodeProto[] {
  return (proto.graph?.node ?? []).filter((n) => (n.input ?? []).includes(layer.weight));
}
