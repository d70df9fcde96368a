import {
  adapterParameterCount,
  checkpointPayloadBytes,
  formatSavableParameters,
  indexDtypeFor,
  pythonSavableParameters,
  type AdapterParameterCount,
  type AdapterShapeSummary,
} from '../accounting/index.js';
import { safeTopkWeights } from '../kernels/index.js';
import { numel, toF32 } from '../tensor/index.js';
import { adapterFlavour, type Factor, type VBLoRAAdapter } from './vblora-adapter.js';

/** One module as {@link describeAdapter} reports it. */
export interface ModuleReport {
  readonly path: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Shapes of the stored tensors of A and B (logits, or indices + weights). */
  readonly a: FactorReport;
  readonly b: FactorReport;
}

/** How one factor is stored. */
export interface FactorReport {
  readonly kind: 'logits' | 'topk';
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Index dtype for top-k factors. */
  readonly indexDtype?: string;
}

/** Everything `vblora inspect` shows about an adapter, as plain JSON-able data. */
export interface AdapterReport {
  readonly name: string;
  readonly flavour: 'full' | 'topk' | 'mixed';
  readonly r: number;
  readonly numVectors: number;
  readonly vectorLength: number;
  readonly topk: number;
  readonly targetModules: string[] | string | null;
  readonly fanInFanOut: boolean;
  readonly bias: string;
  readonly modulesToSave: string[] | null;
  readonly peftVersion: string | null;
  readonly bankDtype: string;
  /** The index dtype PEFT writes for this bank size (SPEC §5.3). */
  readonly indexDtype: string;
  readonly modules: readonly ModuleReport[];
  /** Keys of the other tensors saved with the adapter (trained biases, modules_to_save copies). */
  readonly extraTensors: readonly string[];
  readonly parameters: {
    /** This adapter's own parameters (a correct per-adapter count). */
    readonly adapter: AdapterParameterCount;
    /** PEFT's `print_savable_parameters()` line for each flavour. */
    readonly peftSavableFull: string;
    readonly peftSavableTopk: string;
  };
  /** Tensor payload bytes of each flavour (no safetensors header). */
  readonly payloadBytes: { readonly full: number; readonly topk: number };
  /** Top-k rows that PEFT itself would reload as NaN (SPEC §5.4); vblora.js reloads them finite. */
  readonly peftNaNRows: readonly string[];
}

/** The sizes of an adapter as the accounting functions take them. */
export function adapterShapeSummary(adapter: VBLoRAAdapter): AdapterShapeSummary {
  let modulesToSave = 0;
  let baseParams = 0;
  for (const [key, t] of adapter.extraTensors) {
    if (key.endsWith('.bias') && adapter.config.bias !== 'none') baseParams += numel(t.shape);
    else modulesToSave += numel(t.shape);
  }
  return {
    name: adapter.name,
    numVectors: adapter.config.num_vectors,
    vectorLength: adapter.config.vector_length,
    topk: adapter.config.topk,
    saveOnlyTopkWeights: adapter.config.save_only_topk_weights,
    modules: [...adapter.modules.values()].map((m) => ({
      r: adapter.config.r,
      inFeatures: m.inFeatures,
      outFeatures: m.outFeatures,
    })),
    modulesToSaveParams: modulesToSave,
    trainableBaseParams: baseParams,
  };
}

function factorReport(f: Factor): FactorReport {
  if (f.kind === 'logits') return { kind: 'logits', dtype: f.logits.dtype, shape: f.logits.shape };
  return { kind: 'topk', dtype: f.weights.dtype, shape: f.indices.shape, indexDtype: f.indices.dtype };
}

/** Describes an adapter: config highlights, modules and shapes, parameter counts, sizes and PEFT hazards. */
export function describeAdapter(adapter: VBLoRAAdapter): AdapterReport {
  const c = adapter.config;
  const summary = adapterShapeSummary(adapter);
  const peftNaNRows: string[] = [];
  for (const m of adapter.modules.values()) {
    for (const [name, f] of [
      ['A', m.a],
      ['B', m.b],
    ] as const) {
      if (f.kind !== 'topk') continue;
      for (const row of safeTopkWeights({ weightsKm1: toF32(f.weights) }).repairedRows) {
        peftNaNRows.push(`${m.path} ${name} row ${row}`);
      }
    }
  }
  return {
    name: adapter.name,
    flavour: adapterFlavour(adapter),
    r: c.r,
    numVectors: c.num_vectors,
    vectorLength: c.vector_length,
    topk: c.topk,
    targetModules: c.target_modules,
    fanInFanOut: c.fan_in_fan_out,
    bias: c.bias,
    modulesToSave: c.modules_to_save,
    peftVersion: c.peft_version,
    bankDtype: adapter.bank.dtype,
    indexDtype: indexDtypeFor(c.num_vectors),
    modules: [...adapter.modules.values()].map((m) => ({
      path: m.path,
      inFeatures: m.inFeatures,
      outFeatures: m.outFeatures,
      a: factorReport(m.a),
      b: factorReport(m.b),
    })),
    extraTensors: [...adapter.extraTensors.keys()],
    parameters: {
      adapter: adapterParameterCount(summary),
      peftSavableFull: formatSavableParameters(pythonSavableParameters({ ...summary, saveOnlyTopkWeights: false })),
      peftSavableTopk: formatSavableParameters(pythonSavableParameters({ ...summary, saveOnlyTopkWeights: true })),
    },
    payloadBytes: {
      full: checkpointPayloadBytes(summary, { topkOnly: false }).totalBytes,
      topk: checkpointPayloadBytes(summary, { topkOnly: true }).totalBytes,
    },
    peftNaNRows,
  };
}
