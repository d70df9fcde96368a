/**
 * Inject mode: a VB-LoRA branch beside each target layer whose adapter tensors are graph inputs, so one loaded
 * session serves any adapter (or none, or a different one per batch row).
 * @module
 */
import {
  baseKeyOfExtra,
  ConfigError,
  resolveTargets,
  UnsupportedError,
  type TargetingConfig,
  type VBLoRAAdapter,
} from '@vblora/core';
import { GraphBuilder, valueInfo } from '../graph/graph-builder.js';
import { indexGraph } from '../graph/graph-index.js';
import type { OnnxModel } from '../model-io/onnx-model.js';
import { adapterTargets } from '../mapping/adapter-targets.js';
import type { GraphModule } from '../mapping/graph-module.js';
import { mapGraphModules, type MapModulesOptions, type ModuleMapping } from '../mapping/map-modules.js';
import { pb, toInt, type onnx } from '../proto.js';
import { addBranch, sharedTensors } from './branch.js';
import { composeTopk } from './compose-topk.js';
import {
  injectionMetadata,
  INJECTION_FORMAT,
  readInjectionInfo,
  type InjectedModule,
  type InjectionInfo,
  type InjectVariant,
} from './injection-info.js';
import { BANK_INPUT, lowRankInputs, ROW_ADAPTER_INPUT, topkInputs } from './input-names.js';
import { planOverrides } from './overrides.js';

/** Options of {@link injectAdapterInputs}. */
export interface InjectOptions extends MapModulesOptions {
  /** `lowrank` (default): composed A/B are inputs; `topk`: bank + top-k indices + weights are inputs, composed in-graph. */
  readonly variant?: InjectVariant;
  /** PEFT module paths that get a branch. Default: the modules of `adapter`, else PEFT's targeting with `config`. */
  readonly modules?: readonly string[];
  /** A VB-LoRA/PEFT config whose targeting (PEFT's rules) picks the modules. */
  readonly config?: TargetingConfig;
  /** An adapter whose modules get a branch and whose extra tensors become overridable. */
  readonly adapter?: VBLoRAAdapter;
  /**
   * PyTorch state-dict keys of base tensors that adapters may replace per run (trained biases, modules_to_save
   * weights), e.g. `head.weight`. Default: the extra tensors of `adapter`.
   */
  readonly overridable?: readonly string[];
}

/** An injected model and its description. */
export interface InjectedModel {
  /** The new model; inline tensors still view the input model's bytes. */
  readonly model: OnnxModel;
  readonly info: InjectionInfo;
  /** Differences between the adapter's modules and PEFT's targeting of this graph. */
  readonly warnings: readonly string[];
}

const MIN_OPSET = 13; // Unsqueeze/ReduceSum with axes as inputs

function selectModules(mapping: ModuleMapping, options: InjectOptions): { paths: string[]; warnings: readonly string[] } {
  if (options.modules !== undefined) {
    for (const p of options.modules) mapping.require(p);
    return { paths: [...new Set(options.modules)], warnings: [] };
  }
  if (options.adapter !== undefined) {
    const { layers, warnings } = adapterTargets(mapping, options.adapter);
    return { paths: [...layers.keys()], warnings };
  }
  if (options.config !== undefined) {
    const { targets, warnings } = resolveTargets(mapping.modules, options.config);
    return { paths: targets.map((t) => t.name), warnings };
  }
  throw new ConfigError('injectAdapterInputs needs `modules`, `adapter` or `config` to know which layers to adapt');
}

function checkOpset(proto: onnx.IModelProto): void {
  const opset = (proto.opsetImport ?? []).find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx');
  const version = toInt(opset?.version);
  if (version < MIN_OPSET) {
    throw new UnsupportedError(`inject mode needs ONNX opset ≥ ${MIN_OPSET}; this model imports opset ${version}`);
  }
}

/**
 * Adds a VB-LoRA branch beside every selected layer (y = base + (x·Aᵀ)·Bᵀ) whose adapter tensors are graph
 * inputs, and records what to feed in the model's metadata. The rest of the graph is unchanged: each layer's
 * output keeps its name (the original tensor is renamed `<name>/vblora_base`).
 * @example
 * ```ts
 * const { adapter } = await readAdapterDir('./my-adapter');
 * const injected = await injectAdapterInputs(await readOnnxModel('model.onnx'), { adapter, variant: 'topk' });
 * await writeOnnxModel(injected.model, 'model.vblora.onnx');
 * ```
 * @throws {ModuleMappingError} when a module has no layer in the graph (with the nearest candidates).
 * @throws {UnsupportedError} when the model is already injected or its opset is below 13.
 */
export async function injectAdapterInputs(model: OnnxModel, options: InjectOptions = {}): Promise<InjectedModel> {
  if (readInjectionInfo(model.proto) !== null) throw new UnsupportedError('this model already has VB-LoRA inputs');
  checkOpset(model.proto);
  const graph = model.proto.graph!;
  const mapping = mapGraphModules(indexGraph(graph), options);
  const { paths, warnings } = selectModules(mapping, options);
  const variant = options.variant ?? 'lowrank';
  const start = new GraphBuilder('vblora/s/');
  const newInputs: onnx.IValueInfoProto[] = [valueInfo(ROW_ADAPTER_INPUT, 'i64', ['vblora_rows'])];
  if (variant === 'topk') newInputs.push(valueInfo(BANK_INPUT, 'f32', [null, null]));
  const uses: GraphModule[] = [];
  const stacked = new Map<string, { A: string; B: string }>();
  const modules: InjectedModule[] = [];
  for (const path of paths) {
    const layers = mapping.require(path);
    const { inFeatures: inF, outFeatures: outF } = layers[0]!;
    uses.push(...layers);
    if (variant === 'lowrank') {
      const inputs = lowRankInputs(path);
      newInputs.push(valueInfo(inputs.A, 'f32', ['vblora_n', null, inF]), valueInfo(inputs.B, 'f32', ['vblora_n', outF, null]));
      stacked.set(path, inputs);
      modules.push({ path, inFeatures: inF, outFeatures: outF, uses: layers.length, inputs });
    } else {
      const inputs = topkInputs(path);
      newInputs.push(
        valueInfo(inputs.aIndices, 'i32', ['vblora_n', null, null, null]),
        valueInfo(inputs.aWeights, 'f32', ['vblora_n', null, null, null]),
        valueInfo(inputs.bIndices, 'i32', ['vblora_n', null, null, null]),
        valueInfo(inputs.bWeights, 'f32', ['vblora_n', null, null, null]),
      );
      stacked.set(path, composeTopk(start, path, BANK_INPUT, inputs, inF, outF));
      modules.push({ path, inFeatures: inF, outFeatures: outF, uses: layers.length, inputs });
    }
  }
  const shared = sharedTensors(start, ROW_ADAPTER_INPUT, uses.map((u) => u.inFeatures));
  const keys = options.overridable ?? [...(options.adapter?.extraTensors.keys() ?? [])].map(baseKeyOfExtra);
  const overrides = planOverrides(mapping, keys, start);

  // branch nodes go right after the node producing the layer's output; that node's output is renamed
  const after = new Map<number, GraphBuilder>();
  const renamed = new Map<number, { from: string; to: string }>();
  uses.forEach((layer, i) => {
    const g = new GraphBuilder(`vblora/b${i}/`);
    const baseOut = `${layer.output}/vblora_base`;
    const { A, B } = stacked.get(layer.path!)!;
    addBranch(g, layer, shared, A, B, baseOut, layer.output);
    after.set(layer.outputNodeIndex, g);
    renamed.set(layer.outputNodeIndex, { from: layer.output, to: baseOut });
  });
  const nodes: onnx.INodeProto[] = [...start.nodes];
  const initializers: onnx.ITensorProto[] = [...start.initializers];
  (graph.node ?? []).forEach((node, i) => {
    const r = renamed.get(i);
    nodes.push(r === undefined ? node : { ...node, output: (node.output ?? []).map((o) => (o === r.from ? r.to : o)) });
    const g = after.get(i);
    if (g !== undefined) {
      nodes.push(...g.nodes);
      initializers.push(...g.initializers);
    }
  });
  const original = (graph.initializer ?? []).map((t) => overrides.renamed.get(t.name ?? '') ?? t);
  const info: InjectionInfo = {
    format: INJECTION_FORMAT,
    variant,
    rowAdapterInput: ROW_ADAPTER_INPUT,
    bankInput: variant === 'topk' ? BANK_INPUT : null,
    modules,
    overrides: overrides.overrides,
  };
  const newGraph: onnx.IGraphProto = {
    ...graph,
    node: nodes,
    input: [...(graph.input ?? []), ...newInputs, ...overrides.inputs],
    initializer: [...original, ...initializers],
  };
  const proto = pb.ModelProto.create({
    ...model.proto,
    graph: newGraph,
    metadataProps: [...(model.proto.metadataProps ?? []), injectionMetadata(info)],
  });
  const injected: OnnxModel = { proto, bytes: model.bytes, baseDir: model.baseDir, ownsBytes: false, path: model.path ?? null };
  return { model: injected, info, warnings };
}
