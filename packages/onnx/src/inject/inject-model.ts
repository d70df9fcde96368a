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
  type Backend,
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
import { addBranch, addStaticBranch, sharedTensors } from './branch.js';
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
import { baseOutputName, rewriteGraph, type PlacedBranch } from './rewrite-graph.js';
import { planStatic } from './static-adapter.js';

/** Options of {@link injectAdapterInputs}. */
export interface InjectOptions extends MapModulesOptions {
  /**
   * `lowrank` (default): composed A/B are inputs; `topk`: bank + top-k indices + weights are inputs, composed
   * in-graph; `static`: `adapter`'s A/B are built in as initializers (no extra inputs; its trained biases and
   * modules_to_save copies replace their base tensors).
   */
  readonly variant?: InjectVariant;
  /** Backend that composes A and B for `variant: 'static'` (default: core's reference kernels). */
  readonly backend?: Backend;
  /** PEFT module paths that get a branch. Default: the modules of `adapter`, else PEFT's targeting with `config`. */
  readonly modules?: readonly string[];
  /** A VB-LoRA/PEFT config whose targeting (PEFT's rules) picks the modules. */
  readonly config?: TargetingConfig;
  /** An adapter whose modules get a branch and whose extra tensors become overridable (`static`: the adapter built in). */
  readonly adapter?: VBLoRAAdapter;
  /**
   * Several adapters for one hot-swap model (`lowrank`/`topk` only): the union of their modules gets branches
   * (each adapter checked against the graph, so a module's size agrees across them) and the union of their extra
   * tensors becomes overridable. An adapter lacking a module feeds zeros there. `adapter`, when given too, is one
   * of them.
   */
  readonly adapters?: readonly VBLoRAAdapter[];
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

function selectModules(
  mapping: ModuleMapping,
  options: InjectOptions,
): { paths: string[]; warnings: readonly string[] } {
  if (options.modules !== undefined) {
    for (const p of options.modules) mapping.require(p);
    return { paths: [...new Set(options.modules)], warnings: [] };
  }
  const all = adaptersOf(options);
  if (all.length === 1) {
    const { layers, warnings } = adapterTargets(mapping, all[0]!);
    return { paths: [...layers.keys()], warnings };
  }
  if (all.length > 1) {
    const paths = new Set<string>();
    const warnings: string[] = [];
    for (const a of all) {
      const t = adapterTargets(mapping, a);
      for (const p of t.layers.keys()) paths.add(p);
      warnings.push(...t.warnings.map((w) => `adapter ${a.name}: ${w}`));
    }
    return { paths: [...paths], warnings };
  }
  if (options.config !== undefined) {
    const { targets, warnings } = resolveTargets(mapping.modules, options.config);
    return { paths: targets.map((t) => t.name), warnings };
  }
  throw new ConfigError('injectAdapterInputs needs `modules`, `adapter` or `config` to know which layers to adapt');
}

/** `adapter` and `adapters`, each once. */
function adaptersOf(options: InjectOptions): VBLoRAAdapter[] {
  const all = [...(options.adapter === undefined ? [] : [options.adapter]), ...(options.adapters ?? [])];
  return [...new Set(all)];
}

function checkOpset(proto: onnx.IModelProto): void {
  const opset = (proto.opsetImport ?? []).find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx');
  const version = toInt(opset?.version);
  if (version < MIN_OPSET) {
    throw new UnsupportedError(`inject mode needs ONNX opset ≥ ${MIN_OPSET}; this model imports opset ${version}`);
  }
}

/**
 * Adds a VB-LoRA branch beside every selected layer (y = base + (x·Aᵀ)·Bᵀ) and records what to feed in the
 * model's metadata. Layers may be float (float32/float16/bfloat16), 4-bit `MatMulNBits` or 8-bit
 * `MatMulInteger`/`DynamicQuantizeMatMul` — a quantized base op stays as it is, the branch reads the float
 * activation before quantization — in the top-level graph or in the branches of `If` nodes (merged decoders: both
 * branches get the branch). The rest of the graph is unchanged: each layer's output keeps its name (the original
 * tensor is renamed `<name>/vblora_base`).
 *
 * With `variant: 'lowrank'` or `'topk'` the adapter tensors are graph inputs (one session, any adapter per run or
 * per batch row); with `variant: 'static'` the given adapter is built in as initializers and the model keeps
 * exactly its own inputs (what transformers.js feeds).
 * @example
 * ```ts
 * const { adapter } = await readAdapterDir('./my-adapter');
 * const injected = await injectAdapterInputs(await readOnnxModel('model.onnx'), { adapter, variant: 'topk' });
 * await writeOnnxModel(injected.model, 'model.vblora.onnx');
 * ```
 * @throws {ModuleMappingError} when a module has no layer in the graph (with the nearest candidates), or its layer
 * cannot carry a branch (naming the node and why).
 * @throws {UnsupportedError} when the model is already injected or its opset is below 13.
 * @throws {ConfigError} for `variant: 'static'` without an adapter, or with several.
 */
export async function injectAdapterInputs(model: OnnxModel, options: InjectOptions = {}): Promise<InjectedModel> {
  if (readInjectionInfo(model.proto) !== null) throw new UnsupportedError('this model already has VB-LoRA inputs');
  checkOpset(model.proto);
  const graph = model.proto.graph!;
  const mapping = mapGraphModules(indexGraph(graph), options);
  const variant = options.variant ?? 'lowrank';
  const all = adaptersOf(options);
  if (variant === 'static' && all.length > 1) {
    throw new ConfigError(
      `variant 'static' builds one adapter into the model, got ${all.length}; inject several adapters as hot swap (variant 'lowrank' or 'topk')`,
      'adapters',
    );
  }
  const staticAdapter = all[0];
  if (variant === 'static' && staticAdapter === undefined) {
    throw new ConfigError("variant 'static' builds an adapter into the model: pass it as `adapter`");
  }
  const { paths, warnings } = selectModules(mapping, options);
  const start = new GraphBuilder('vblora/s/');
  const newInputs: onnx.IValueInfoProto[] = [];
  if (variant !== 'static') newInputs.push(valueInfo(ROW_ADAPTER_INPUT, 'i64', ['vblora_rows']));
  if (variant === 'topk') newInputs.push(valueInfo(BANK_INPUT, 'f32', [null, null]));
  const uses: GraphModule[] = [];
  const stacked = new Map<string, { A: string; B: string }>();
  const modules: InjectedModule[] = [];
  const statics =
    variant === 'static' ? await planStatic(mapping, staticAdapter!, paths, start, options.backend) : null;
  for (const path of paths) {
    const layers = mapping.require(path);
    const { inFeatures: inF, outFeatures: outF } = layers[0]!;
    uses.push(...layers);
    if (statics !== null) {
      const { A, B, At, Bt } = statics.modules.get(path)!;
      stacked.set(path, { A: At, B: Bt });
      modules.push({ path, inFeatures: inF, outFeatures: outF, uses: layers.length, inputs: { A, B } });
    } else if (variant === 'lowrank') {
      const inputs = lowRankInputs(path);
      newInputs.push(
        valueInfo(inputs.A, 'f32', ['vblora_n', null, inF]),
        valueInfo(inputs.B, 'f32', ['vblora_n', outF, null]),
      );
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
  const shared =
    statics === null
      ? sharedTensors(
          start,
          ROW_ADAPTER_INPUT,
          uses.map((u) => u.inFeatures),
        )
      : null;
  const keys =
    statics !== null
      ? []
      : (options.overridable ?? [...new Set(all.flatMap((a) => [...a.extraTensors.keys()].map(baseKeyOfExtra)))]);
  const overrides = planOverrides(mapping, keys, start);

  const branches: PlacedBranch[] = uses.map((layer, i) => {
    const g = new GraphBuilder(`vblora/b${i}/`);
    const { A, B } = stacked.get(layer.path!)!;
    if (shared === null) addStaticBranch(g, layer, A, B, baseOutputName(layer), layer.output);
    else addBranch(g, layer, shared, A, B, baseOutputName(layer), layer.output);
    return { layer, builder: g };
  });
  const rewritten = rewriteGraph(graph, '', branches);
  const replaced = statics?.replaced ?? new Map<string, onnx.ITensorProto>();
  const original = (graph.initializer ?? []).map(
    (t) => overrides.renamed.get(t.name ?? '') ?? replaced.get(t.name ?? '') ?? t,
  );
  const info: InjectionInfo = {
    format: INJECTION_FORMAT,
    variant,
    rowAdapterInput: variant === 'static' ? null : ROW_ADAPTER_INPUT,
    bankInput: variant === 'topk' ? BANK_INPUT : null,
    modules,
    overrides: overrides.overrides,
    ...(statics === null
      ? {}
      : { static: { adapter: staticAdapter!.name, r: staticAdapter!.config.r, replaced: statics.replacedKeys } }),
  };
  const newGraph: onnx.IGraphProto = {
    ...graph,
    node: [...start.nodes, ...(rewritten.node ?? [])],
    input: [...(graph.input ?? []), ...newInputs, ...overrides.inputs],
    initializer: [
      ...original,
      ...start.initializers,
      ...(statics?.initializers ?? []),
      ...branches.flatMap((b) => b.builder.initializers),
    ],
  };
  const proto = pb.ModelProto.create({
    ...model.proto,
    graph: newGraph,
    metadataProps: [...(model.proto.metadataProps ?? []), injectionMetadata(info)],
  });
  // the base's bytes, folder and external data reader stay the model's; the graph is new
  const injected: OnnxModel = { ...model, proto, ownsBytes: false, path: model.path ?? null };
  return { model: injected, info, warnings };
}
