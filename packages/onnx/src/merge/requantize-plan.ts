/**
 * Merging an adapter into quantized layers: dequantize the weight as onnxruntime does, add PEFT's ΔW = B·A in
 * float32 (core's `merge` kernel on the float32 weight), requantize with the same block layout and the same
 * quantizer rule, and measure what that did. Float layers of the same model merge as `planMerge` merges them.
 *
 * Why this is not the default for quantized models: an adapter's ΔW is small next to the weight, and next to one
 * quantization step (a 4-bit block's scale is its largest |w| / 8). Requantizing the merged weight moves only the
 * codes that the delta pushes across a rounding boundary, so most of ΔW is rounded away, and what survives comes in
 * whole steps. The report says how much: `deltaRelError` near 1 means the merged model is the base model again.
 * @module
 */
import {
  AdapterError,
  composeAdapter,
  f16BitsToF32,
  f32ArrayToF16,
  numel,
  referenceBackend,
  requireKernel,
  tensor,
  UnsupportedError,
  DEFAULT_MAX_MEMORY_BYTES,
  type Backend,
  type HostTensor,
  type VBLoRAAdapter,
} from '@vblora/core';
import type { OnnxModel } from '../model-io/onnx-model.js';
import { readTensorData, tensorDims, tensorDtype } from '../model-io/tensor-data.js';
import type { onnx } from '../proto.js';
import { adapterTargets } from '../mapping/adapter-targets.js';
import type { GraphModule } from '../mapping/graph-module.js';
import type { ModuleMapping } from '../mapping/map-modules.js';
import { planMerge, type MergeUpdate } from './merge-plan.js';
import {
  dequantizeInt8,
  detectInt8Rule,
  int8CodesChanged,
  int8HalfStep,
  quantizeInt8,
  type Int8Data,
} from './requantize-int8.js';
import {
  dequantizeQ4,
  detectQ4Rule,
  q4CodesChanged,
  q4HalfStep,
  quantizeQ4,
  type Q4Data,
  type Q4SymmetricRule,
} from './requantize-q4.js';

/** What requantizing one module did, measured on the whole weight. */
export interface RequantizeReport {
  readonly module: string;
  /** The weight layout: `q4`, `q4f16` (float16 scales), `int8`, `uint8`. */
  readonly layout: 'q4' | 'q4f16' | 'int8' | 'uint8';
  /** The quantizer rule reused, in words (e.g. `symmetric, scale = m/−8` or `asymmetric per column`). */
  readonly rule: string;
  /** max |dequant(requantized) − (W + ΔW)|: the error of the merged weight against the exact float32 merge. */
  readonly maxAbsError: number;
  /** Half the base's largest quantization step: the rounding error its own quantization allows (for comparison). */
  readonly baseHalfStep: number;
  /** max |ΔW|: the largest change the adapter makes. */
  readonly maxAbsDelta: number;
  /**
   * ‖(dequant(requantized) − W) − ΔW‖₂ / ‖ΔW‖₂: how much of the adapter's change is lost (0: all kept; 1: as if no
   * adapter were merged).
   */
  readonly deltaRelError: number;
  /** The fraction of weight codes that changed. */
  readonly codesChanged: number;
}

/** Options of {@link planRequantizedMerge}. */
export interface PlanRequantizeOptions {
  readonly backend?: Backend;
  readonly safe?: boolean;
  readonly maxMemoryBytes?: number;
  /** Symmetric 4-bit scale rule; default `auto` (read off the base's scales and codes, see `detectQ4Rule`). */
  readonly q4Rule?: Q4SymmetricRule | 'auto';
}

/** The updates of a merge into a model with quantized layers, and where the reports arrive. */
export interface RequantizePlan {
  readonly updates: readonly MergeUpdate[];
  readonly warnings: readonly string[];
  /** One report per quantized module, filled as the updates are computed. */
  readonly reports: RequantizeReport[];
  /** The quantized modules, in the adapter's order. */
  readonly quantizedModules: readonly string[];
}

/** Measures a requantized merge (see {@link RequantizeReport}). */
export function measureRequantized(
  base: Float32Array,
  exact: Float32Array,
  requantized: Float32Array,
): Pick<RequantizeReport, 'maxAbsError' | 'maxAbsDelta' | 'deltaRelError'> {
  let maxAbsError = 0;
  let maxAbsDelta = 0;
  let lost = 0;
  let total = 0;
  for (let i = 0; i < exact.length; i++) {
    const e = requantized[i]! - exact[i]!;
    const d = exact[i]! - base[i]!;
    maxAbsError = Math.max(maxAbsError, Math.abs(e));
    maxAbsDelta = Math.max(maxAbsDelta, Math.abs(d));
    lost += e * e;
    total += d * d;
  }
  return { maxAbsError, maxAbsDelta, deltaRelError: total === 0 ? 0 : Math.sqrt(lost / total) };
}

/** Names every node of every graph reads, with how many times. */
function readCounts(graph: onnx.IGraphProto, counts = new Map<string, number>()): Map<string, number> {
  for (const node of graph.node ?? []) {
    for (const i of node.input ?? []) if (i !== '') counts.set(i, (counts.get(i) ?? 0) + 1);
    for (const a of node.attribute ?? []) {
      if (a.g !== null && a.g !== undefined) readCounts(a.g, counts);
      for (const g of a.graphs ?? []) readCounts(g, counts);
    }
  }
  return counts;
}

function floatValues(t: HostTensor, what: string): Float32Array {
  if (t.dtype === 'f32') return t.data as Float32Array;
  if (t.dtype === 'f16') return Float32Array.from(t.data as Uint16Array, f16BitsToF32);
  throw new UnsupportedError(`${what} is ${t.dtype}; requantizing needs float32 or float16 scales`);
}

/** The quantized tensors of one layer, read and checked. */
interface LayerTensors {
  readonly names: readonly string[];
  read(model: OnnxModel, budget: number): Promise<{ data: Q4Data | Int8Data; scaleDtype: 'f32' | 'f16' }>;
}

function q4Tensors(layer: GraphModule, inits: ReadonlyMap<string, onnx.ITensorProto>): LayerTensors {
  const quant = layer.quant;
  if (quant?.format !== 'q4') throw new Error('not a q4 layer');
  const zp = quant.zeroPoints === null ? undefined : inits.get(quant.zeroPoints);
  if (zp !== undefined && tensorDtype(zp) !== 'u8') {
    throw new UnsupportedError(
      `${layer.path}: MatMulNBits zero points ${quant.zeroPoints} are ${tensorDtype(zp)}; requantizing handles packed uint8 zero points only`,
    );
  }
  const names = [layer.weight, quant.scales, ...(quant.zeroPoints === null ? [] : [quant.zeroPoints])];
  return {
    names,
    async read(model, budget) {
      const b = await readTensorData(model, inits.get(layer.weight)!, { maxMemoryBytes: budget });
      const s = await readTensorData(model, inits.get(quant.scales)!, { maxMemoryBytes: budget });
      const z = zp === undefined ? null : await readTensorData(model, zp, { maxMemoryBytes: budget });
      const kBlocks = Math.ceil(layer.inFeatures / quant.blockSize);
      const perRow = Math.ceil(kBlocks / 2);
      if (
        numel(s.shape) !== layer.outFeatures * kBlocks ||
        (z !== null && numel(z.shape) !== layer.outFeatures * perRow)
      ) {
        throw new UnsupportedError(
          `${layer.path}: MatMulNBits scales or zero points of ${layer.weight} do not have N·k_blocks entries`,
        );
      }
      const data: Q4Data = {
        n: layer.outFeatures,
        k: layer.inFeatures,
        blockSize: quant.blockSize,
        packed: b.data as Uint8Array,
        scales: floatValues(s, quant.scales),
        zeroPoints: z === null ? null : (z.data as Uint8Array),
      };
      return { data, scaleDtype: s.dtype === 'f16' ? 'f16' : 'f32' };
    },
  };
}

function int8Tensors(layer: GraphModule, inits: ReadonlyMap<string, onnx.ITensorProto>): LayerTensors {
  const quant = layer.quant;
  if (quant?.format !== 'int8') throw new Error('not an int8 layer');
  const scale = inits.get(quant.scale)!;
  if (tensorDtype(scale) !== 'f32')
    throw new UnsupportedError(
      `${layer.path}: weight scale ${quant.scale} is ${tensorDtype(scale)}; requantizing needs float32`,
    );
  const n = numel(tensorDims(scale));
  if (n !== 1 && n !== layer.outFeatures) {
    throw new UnsupportedError(
      `${layer.path}: weight scale ${quant.scale} has ${n} values; requantizing handles one per tensor or one per output column`,
    );
  }
  const names = [layer.weight, quant.scale, ...(quant.zeroPoint === null ? [] : [quant.zeroPoint])];
  return {
    names,
    async read(model, budget) {
      const w = await readTensorData(model, inits.get(layer.weight)!, { maxMemoryBytes: budget });
      const s = await readTensorData(model, scale, { maxMemoryBytes: budget });
      const z =
        quant.zeroPoint === null
          ? null
          : await readTensorData(model, inits.get(quant.zeroPoint)!, { maxMemoryBytes: budget });
      if (z !== null && (z.dtype !== w.dtype || numel(z.shape) !== n)) {
        throw new UnsupportedError(
          `${layer.path}: weight zero point ${quant.zeroPoint} is ${z.dtype} with ${numel(z.shape)} values, the weight ${w.dtype} with ${n} scales`,
        );
      }
      const data: Int8Data = {
        dtype: w.dtype as 'i8' | 'u8',
        k: layer.inFeatures,
        n: layer.outFeatures,
        values: w.data as Int8Array | Uint8Array,
        scales: s.data as Float32Array,
        zeroPoints: z === null ? null : (z.data as Int8Array | Uint8Array),
      };
      return { data, scaleDtype: 'f32' };
    },
  };
}

/**
 * Plans the merge of an adapter into a model whose adapted layers may be quantized (`MatMulNBits` 4-bit,
 * 8-bit `MatMulInteger` and its fused forms): float layers and the adapter's extra tensors as {@link planMerge}
 * does, quantized layers dequantized, merged and requantized with their own rule, each with a report.
 * @throws {UnsupportedError} for quantized tensors shared with other layers, stored in subgraphs, float zero points
 * or scales that are not float32/float16.
 */
export function planRequantizedMerge(
  model: OnnxModel,
  mapping: ModuleMapping,
  adapter: VBLoRAAdapter,
  options: PlanRequantizeOptions = {},
): RequantizePlan {
  const backend = options.backend ?? referenceBackend;
  const mergeKernel = requireKernel(backend, 'merge');
  const budget = options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
  const { layers, warnings } = adapterTargets(mapping, adapter);
  const quantized = [...layers].filter(([, uses]) => uses[0]!.format !== 'float');
  const floatModules = new Map([...adapter.modules].filter(([path]) => layers.get(path)![0]!.format === 'float'));
  const floatPlan = planMerge(model, mapping, { ...adapter, modules: floatModules }, options);
  const updates: MergeUpdate[] = [...floatPlan.updates];
  const claimed = new Set(updates.map((u) => u.initializer));
  const reports: RequantizeReport[] = [];
  const top = new Map((model.proto.graph!.initializer ?? []).map((t) => [t.name ?? '', t]));
  const reads = readCounts(model.proto.graph!);
  for (const [path, uses] of quantized) {
    const layer = uses[0]!;
    const tensors = layer.format === 'q4' ? q4Tensors(layer, top) : int8Tensors(layer, top);
    for (const name of tensors.names) {
      if (!top.has(name)) {
        throw new UnsupportedError(
          `${path}: ${name} is not an initializer of the top-level graph; requantizing cannot replace it`,
        );
      }
      if (claimed.has(name) || (reads.get(name) ?? 0) > uses.length) {
        throw new UnsupportedError(
          `${path}: ${name} is shared with another layer; requantizing it would change that layer too`,
        );
      }
      claimed.add(name);
    }
    const n = layer.inFeatures * layer.outFeatures;
    const bytes = 4 * 4 * n + 2 * 4 * adapter.config.r * (layer.inFeatures + layer.outFeatures);
    // the three tensors of a layer come out of one computation, kept until the writer has taken each
    let pending: Promise<Map<string, HostTensor>> | null = null;
    let taken = 0;
    const compute = async (): Promise<Map<string, HostTensor>> => {
      const { data, scaleDtype } = await tensors.read(model, budget);
      const { A, B } = (await composeAdapter(adapter, { backend, modules: [path] })).get(path)!;
      const isQ4 = layer.format === 'q4';
      const base = isQ4 ? dequantizeQ4(data as Q4Data) : dequantizeInt8(data as Int8Data);
      const shape = isQ4 ? [layer.outFeatures, layer.inFeatures] : [layer.inFeatures, layer.outFeatures];
      const merged = (
        await mergeKernel({
          weight: tensor('f32', shape, base),
          A,
          B,
          fanInFanOut: !isQ4, // 8-bit weights are stored (in, out)
          safe: options.safe ?? false,
          adapter: adapter.name,
          module: path,
        })
      ).data as Float32Array;
      const out = new Map<string, HostTensor>();
      const original = (name: string) => top.get(name)!;
      if (isQ4) {
        const q = data as Q4Data;
        const quant = layer.quant as Extract<GraphModule['quant'], { format: 'q4' }>;
        const symmetric = options.q4Rule === undefined || options.q4Rule === 'auto' ? detectQ4Rule(q) : options.q4Rule;
        const rq = quantizeQ4(merged, q.n, q.k, q.blockSize, {
          zeroPoints: q.zeroPoints !== null,
          symmetric,
          scaleDtype,
        });
        reports.push({
          module: path,
          layout: scaleDtype === 'f16' ? 'q4f16' : 'q4',
          rule:
            q.zeroPoints !== null
              ? 'asymmetric, scale = (max − min)/15'
              : symmetric === 'signed-max'
                ? 'symmetric, scale = m/−8'
                : 'symmetric, scale = 2|m|/15',
          ...measureRequantized(base, merged, dequantizeQ4(rq)),
          baseHalfStep: q4HalfStep(q),
          codesChanged: q4CodesChanged(q, rq),
        });
        out.set(layer.weight, tensor('u8', tensorDims(original(layer.weight)), rq.packed));
        const scaleShape = tensorDims(original(quant.scales));
        out.set(
          quant.scales,
          scaleDtype === 'f16'
            ? tensor('f16', scaleShape, f32ArrayToF16(rq.scales))
            : tensor('f32', scaleShape, rq.scales),
        );
        if (quant.zeroPoints !== null)
          out.set(quant.zeroPoints, tensor('u8', tensorDims(original(quant.zeroPoints)), rq.zeroPoints!));
      } else {
        const q = data as Int8Data;
        const quant = layer.quant as Extract<GraphModule['quant'], { format: 'int8' }>;
        const rule = detectInt8Rule(q);
        const rq = quantizeInt8(merged, q.k, q.n, q.dtype, q.scales.length > 1, rule, q.zeroPoints !== null);
        reports.push({
          module: path,
          layout: q.dtype === 'u8' ? 'uint8' : 'int8',
          rule: `${rule.symmetric ? 'symmetric' : 'asymmetric'}${rule.reduceRange ? ', reduced range' : ''}, ${q.scales.length > 1 ? 'per column' : 'per tensor'}`,
          ...measureRequantized(base, merged, dequantizeInt8(rq)),
          baseHalfStep: int8HalfStep(q),
          codesChanged: int8CodesChanged(q, rq),
        });
        out.set(layer.weight, tensor(q.dtype, tensorDims(original(layer.weight)), rq.values as never));
        out.set(quant.scale, tensor('f32', tensorDims(original(quant.scale)), rq.scales));
        if (quant.zeroPoint !== null)
          out.set(quant.zeroPoint, tensor(q.dtype, tensorDims(original(quant.zeroPoint)), rq.zeroPoints as never));
      }
      return out;
    };
    for (const name of tensors.names) {
      updates.push({
        initializer: name,
        source: path,
        bytes,
        compute: async () => {
          pending ??= compute();
          const result = await pending;
          const t = result.get(name);
          if (t === undefined) throw new AdapterError(`${path}: no requantized value for ${name}`, path);
          if (++taken === tensors.names.length) pending = null;
          return t;
        },
      });
    }
  }
  return { updates, warnings, reports, quantizedModules: quantized.map(([p]) => p) };
}
