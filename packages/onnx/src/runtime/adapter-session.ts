/**
 * `AdapterSession`: an onnxruntime-node session over an injected model that switches VB-LoRA adapters per run —
 * one adapter, none, or a different one per batch row — without rebuilding the session.
 * @module
 */
import * as ort from 'onnxruntime-node';
import {
  AdapterError,
  checkMemoryBudget,
  ConfigError,
  DEFAULT_MAX_MEMORY_BYTES,
  type Backend,
  type HostTensor,
  type VBLoRAAdapter,
} from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import { OnnxModelError } from '../errors.js';
import { isHotSwap, readInjectionInfo, type HotSwapInjectionInfo } from '../inject/injection-info.js';
import { externalDataRef } from '../model-io/external-data.js';
import type { OnnxModel } from '../model-io/onnx-model.js';
import { decodeOnnxModel, encodeOnnxModel, readOnnxModel } from '../model-io/read-model.js';
import { readTensorData } from '../model-io/tensor-data.js';
import { resolveSources } from '../model-io/write-files.js';
import { castFloat } from '../host/cast-float.js';
import { prepareAdapter, type PreparedAdapter } from './prepared-adapter.js';
import { stackedFeedBytes, stackFeeds, type FeedData } from './stack-feeds.js';

/** Options of {@link AdapterSession.create}. */
export interface AdapterSessionOptions {
  /** onnxruntime session options (default: log errors only). */
  readonly sessionOptions?: ort.InferenceSession.SessionOptions;
  /** Backend that composes adapters for the `lowrank` variant (default: the reference backend). */
  readonly backend?: Backend;
  /**
   * Memory budget in bytes (default `DEFAULT_MAX_MEMORY_BYTES`, 4 GiB) for reading the model and for the feeds
   * of one run, which are sized from the model's injection description and checked before they are allocated.
   */
  readonly maxMemoryBytes?: number;
}

/** Which adapter(s) a run uses. */
export interface AdapterRunOptions {
  /** The adapter for the whole batch; null or absent: none (the base model's outputs). */
  readonly adapter?: string | null;
  /** One adapter name (or null) per batch row, for mixed batches; the layers' inputs must be batch-major. */
  readonly rows?: readonly (string | null)[];
}

const CACHE_SIZE = 4;

/** An injected model loaded once, serving any number of adapters. */
export class AdapterSession {
  private readonly adapters = new Map<string, PreparedAdapter>();
  private readonly feedCache = new Map<string, Map<string, ort.Tensor>>();

  private constructor(
    /** The underlying onnxruntime session. */
    readonly session: ort.InferenceSession,
    /** What the injected model expects. */
    readonly info: HotSwapInjectionInfo,
    private readonly backend: Backend | undefined,
    /** Base values of the overridable tensors, by input name, in their feed dtype. */
    private readonly defaults: ReadonlyMap<string, HostTensor>,
    private readonly budget: number,
  ) {}

  /**
   * Loads an injected model (a path, its bytes, or an `injectAdapterInputs` result) into onnxruntime-node.
   * @example
   * ```ts
   * const session = await AdapterSession.create('model.vblora.onnx');
   * await session.loadAdapter('fr', './adapter-fr');
   * const out = await session.run({ input_ids }, { adapter: 'fr' });
   * ```
   * A model file is read (and checked) before onnxruntime sees it: a FIFO or device is refused, and every external
   * data file must lie inside the model's folder once links are followed.
   * @throws {OnnxModelError} when the model has no VB-LoRA inputs (also a `static` one, whose adapter is built in),
   * or cannot be read.
   */
  static async create(model: string | Uint8Array | OnnxModel, options: AdapterSessionOptions = {}): Promise<AdapterSession> {
    const sessionOptions = { logSeverityLevel: 3 as const, ...options.sessionOptions };
    const budget = options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
    const source = typeof model === 'string' || model instanceof Uint8Array ? model : inlineBytes(model);
    // read what we need first, so that a file's bytes are garbage by the time onnxruntime loads its own copy
    const { info, defaults } = await injectionOf(model, budget);
    const session = typeof source === 'string'
      ? await ort.InferenceSession.create(source, sessionOptions)
      : await ort.InferenceSession.create(source, sessionOptions);
    return new AdapterSession(session, info, options.backend, defaults, budget);
  }

  /** The model's own input names (without the VB-LoRA inputs). */
  get inputNames(): string[] {
    const ours = this.vbloraInputs();
    return this.session.inputNames.filter((n) => !ours.has(n));
  }

  /** The model's output names. */
  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /** Names of the loaded adapters. */
  get adapterNames(): string[] {
    return [...this.adapters.keys()];
  }

  private vbloraInputs(): Set<string> {
    const s = new Set<string>([this.info.rowAdapterInput, ...this.info.overrides.map((o) => o.input)]);
    if (this.info.bankInput !== null) s.add(this.info.bankInput);
    for (const m of this.info.modules) for (const v of Object.values(m.inputs)) s.add(v as string);
    return s;
  }

  /**
   * Loads (or replaces) an adapter under `name`, from a PEFT directory or an in-memory adapter. Composition
   * happens here, once; runs only pick the prepared tensors.
   */
  async loadAdapter(name: string, adapter: string | VBLoRAAdapter): Promise<void> {
    const loaded = typeof adapter === 'string' ? (await readAdapterDir(adapter)).adapter : adapter;
    this.adapters.set(name, await prepareAdapter(this.info, name, loaded, this.backend));
    this.feedCache.clear();
  }

  /** Forgets an adapter; returns false when none had that name. */
  unloadAdapter(name: string): boolean {
    this.feedCache.clear();
    return this.adapters.delete(name);
  }

  private slot(name: string | null): PreparedAdapter | null {
    if (name === null) return null;
    const a = this.adapters.get(name);
    if (a === undefined) {
      throw new AdapterError(`no adapter named ${JSON.stringify(name)} is loaded (loaded: ${this.adapterNames.join(', ') || 'none'})`);
    }
    return a;
  }

  private adapterFeeds(names: readonly (string | null)[]): Map<string, ort.Tensor> {
    const key = JSON.stringify(names);
    const hit = this.feedCache.get(key);
    if (hit !== undefined) return hit;
    const slots = names.map((n) => this.slot(n));
    checkMemoryBudget(stackedFeedBytes(this.info, slots), `the VB-LoRA inputs of ${slots.length} adapter slot(s)`, this.budget);
    const feeds = new Map<string, ort.Tensor>();
    for (const [input, f] of stackFeeds(this.info, slots)) feeds.set(input, toOrt(f));
    const withOverrides = slots.filter((s) => s !== null && s.overrides.size > 0);
    if (withOverrides.length > 0 && slots.length > 1) {
      throw new AdapterError(
        `adapter ${withOverrides[0]!.name} replaces base tensors (trained biases or modules_to_save), which cannot differ ` +
          'between the rows of one batch; run it in its own batch',
      );
    }
    for (const [input, base] of this.defaults) {
      const t = slots[0]?.overrides.get(input) ?? base;
      feeds.set(input, new ort.Tensor(t.dtype === 'f16' ? 'float16' : 'float32', t.data as Float32Array, [...t.shape]));
    }
    this.feedCache.set(key, feeds);
    if (this.feedCache.size > CACHE_SIZE) this.feedCache.delete(this.feedCache.keys().next().value!);
    return feeds;
  }

  /**
   * Runs the model with the given adapter(s).
   * @throws {AdapterError} for an unknown adapter name, overriding adapters mixed in one batch, or `rows` whose
   * length is not the batch size of the feeds.
   */
  async run(feeds: Readonly<Record<string, ort.Tensor>>, options: AdapterRunOptions = {}): Promise<ort.InferenceSession.ReturnType> {
    let names: (string | null)[];
    let rowAdapter: BigInt64Array;
    if (options.rows !== undefined) {
      this.checkRows(feeds, options.rows.length);
      names = [...new Set(options.rows)];
      rowAdapter = BigInt64Array.from(options.rows, (n) => BigInt(names.indexOf(n)));
    } else {
      names = [options.adapter ?? null];
      rowAdapter = new BigInt64Array(1);
    }
    const all: Record<string, ort.Tensor> = { ...feeds };
    for (const [k, v] of this.adapterFeeds(names)) all[k] = v;
    all[this.info.rowAdapterInput] = new ort.Tensor('int64', rowAdapter, [rowAdapter.length]);
    return this.session.run(all);
  }

  /**
   * A mixed batch reshapes each layer input to (rows, −1, in): with a wrong number of rows the reshape may still
   * succeed and give every row another row's adapter. So `rows` must match the batch size of every feed whose
   * first dimension the model declares symbolic (e.g. `batch_size`).
   */
  private checkRows(feeds: Readonly<Record<string, ort.Tensor>>, rows: number): void {
    const ours = this.vbloraInputs();
    for (const meta of this.session.inputMetadata) {
      if (ours.has(meta.name) || !meta.isTensor || typeof meta.shape[0] !== 'string') continue;
      const batch = feeds[meta.name]?.dims[0];
      if (batch !== undefined && batch !== rows) {
        throw new AdapterError(
          `rows names ${rows} adapter${rows === 1 ? '' : 's'}, but input ${JSON.stringify(meta.name)} has a batch of ${batch}: give one entry per batch row`,
        );
      }
    }
  }

  /** Releases the onnxruntime session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}

/** An in-memory model serialized for onnxruntime (which could not find external data files from bytes). @internal */
export function inlineBytes(model: OnnxModel): Uint8Array {
  if ((model.proto.graph?.initializer ?? []).some((t) => externalDataRef(t) !== null)) {
    throw new ConfigError('this model keeps tensors in external data files: write it with writeOnnxModel and pass the path');
  }
  return encodeOnnxModel(model.proto);
}

/**
 * The injection description of a model and the base values of its overridable tensors (copied). A model file's
 * external data are checked to lie inside its folder, as onnxruntime will read them.
 */
async function injectionOf(model: string | Uint8Array | OnnxModel, budget: number): Promise<{ info: HotSwapInjectionInfo; defaults: Map<string, HostTensor> }> {
  let decoded: OnnxModel;
  if (typeof model === 'string') {
    decoded = await readOnnxModel(model, { maxMemoryBytes: budget });
    await resolveSources(decoded, new Set());
  } else {
    decoded = model instanceof Uint8Array ? decodeOnnxModel(model, { maxMemoryBytes: budget }) : model;
  }
  const info = readInjectionInfo(decoded.proto);
  if (info === null) {
    throw new OnnxModelError('the model has no VB-LoRA inputs: inject it first (injectAdapterInputs)', 'injection-metadata');
  }
  if (!isHotSwap(info)) {
    throw new OnnxModelError(
      `the model has adapter ${info.static?.adapter ?? '(unnamed)'} built in (static variant) and no VB-LoRA inputs: run it with a plain ` +
        'onnxruntime session, or inject the lowrank/topk variant to switch adapters',
      'injection-metadata',
    );
  }
  const defaults = new Map<string, HostTensor>();
  const inits = new Map((decoded.proto.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  for (const o of info.overrides) {
    const init = inits.get(o.default);
    if (init === undefined) {
      throw new OnnxModelError(`the injected model lacks ${o.default}, the base value of ${o.key}`, 'injection-metadata', o.default);
    }
    const t = castFloat(await readTensorData(decoded, init, { maxMemoryBytes: budget }), o.dtype, o.key);
    defaults.set(o.input, { ...t, data: t.data.slice() }); // a copy: the model's bytes can be freed
  }
  return { info, defaults };
}

function toOrt(f: FeedData): ort.Tensor {
  return new ort.Tensor(f.type, f.data as Float32Array, [...f.dims]);
}
