/**
 * `AdapterSession`: an onnxruntime session over an injected model that switches VB-LoRA adapters per run — one
 * adapter, none, or a different one per batch row — without rebuilding the session. Runs on any ONNX Runtime
 * module passed in (onnxruntime-web in a page); the Node entry's `AdapterSession` adds file paths and
 * onnxruntime-node as the default.
 * @module
 */
import {
  AdapterError,
  checkMemoryBudget,
  ConfigError,
  DEFAULT_MAX_MEMORY_BYTES,
  UnsupportedError,
  type Backend,
  type HostTensor,
  type VBLoRAAdapter,
} from '@vblora/core';
import { OnnxModelError } from '../errors.js';
import { isHotSwap, readInjectionInfo, type HotSwapInjectionInfo } from '../inject/injection-info.js';
import { decodeOnnxModel, encodeOnnxModel } from '../model-io/decode-model.js';
import { externalDataRef } from '../model-io/external-ref.js';
import type { OnnxModel } from '../model-io/onnx-model.js';
import { readTensorData } from '../model-io/tensor-data.js';
import { castFloat } from '../host/cast-float.js';
import {
  ortTensor,
  requireOrt,
  type OrtModule,
  type OrtSessionLike,
  type OrtTensorConstructor,
  type OrtTensorLike,
  type RunResultOf,
  type SessionOf,
  type SessionOptionsOf,
} from './ort-module.js';
import { checkLeaseFits } from '../store/lease-fits.js';
import type { AdapterLease } from '../store/store-types.js';
import { prepareAdapter, preparedKey, type PreparedAdapter } from './prepared-adapter.js';
import { stackedFeedBytes, stackFeeds } from './stack-feeds.js';

/** Options of `AdapterSession.create` shared by every entry. */
export interface AdapterSessionBaseOptions {
  /** Backend that composes adapters for the `lowrank` variant (default: the reference backend). */
  readonly backend?: Backend;
  /**
   * Memory budget in bytes (default `DEFAULT_MAX_MEMORY_BYTES`, 4 GiB) for reading the model and for the feeds
   * of one run, which are sized from the model's injection description and checked before they are allocated.
   */
  readonly maxMemoryBytes?: number;
}

/** Options of {@link AdapterSession.create}: the onnxruntime module to run on, and its session options. */
export interface AdapterSessionOptions<M extends OrtModule = OrtModule> extends AdapterSessionBaseOptions {
  /** The onnxruntime module, e.g. `import * as ort from 'onnxruntime-web'`. */
  readonly ort: M;
  /** onnxruntime session options (default: log errors only). */
  readonly sessionOptions?: SessionOptionsOf<M>;
}

/** Which adapter(s) a run uses. */
export interface AdapterRunOptions {
  /** The adapter for the whole batch; null or absent: none (the base model's outputs). */
  readonly adapter?: string | null;
  /** One adapter name (or null) per batch row, for mixed batches; the layers' inputs must be batch-major. */
  readonly rows?: readonly (string | null)[];
  /**
   * Composed adapters from an `AdapterStore` (`store.acquire(rows)`): names in `adapter` / `rows` are the lease's
   * ids instead of loaded adapters. Without `adapter` and `rows`, the lease's own `rows` are run. The lease must
   * stay unreleased until the run's promise settles.
   */
  readonly lease?: AdapterLease;
}

const CACHE_SIZE = 4;

/** What an injected model needs before a session runs it: its description and its overridable base tensors. */
export interface InjectedModelParts {
  readonly info: HotSwapInjectionInfo;
  /** Base values of the overridable tensors, by input name, in their feed dtype. */
  readonly defaults: ReadonlyMap<string, HostTensor>;
}

/**
 * An injected model loaded once into an onnxruntime session of type `S`, serving any number of adapters. Create
 * one with `AdapterSession.create` of the entry you use.
 */
export class AdapterSessionBase<S extends OrtSessionLike = OrtSessionLike> {
  private readonly adapters = new Map<string, PreparedAdapter>();
  private readonly feedCache = new Map<string, Map<string, OrtTensorLike>>();
  /** What the injected model expects. */
  readonly info: HotSwapInjectionInfo;
  private readonly defaults: ReadonlyMap<string, HostTensor>;

  protected constructor(
    /** The underlying onnxruntime session. */
    readonly session: S,
    parts: InjectedModelParts,
    private readonly Tensor: OrtTensorConstructor,
    private readonly backend: Backend | undefined,
    private readonly budget: number,
  ) {
    this.info = parts.info;
    this.defaults = parts.defaults;
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
   * Loads (or replaces) an in-memory adapter under `name`. Composition happens here, once; runs only pick the
   * prepared tensors.
   */
  async loadAdapter(name: string, adapter: VBLoRAAdapter): Promise<void> {
    this.adapters.set(name, await prepareAdapter(this.info, name, adapter, this.backend));
    this.feedCache.clear();
  }

  /** Forgets an adapter; returns false when none had that name. */
  unloadAdapter(name: string): boolean {
    this.feedCache.clear();
    return this.adapters.delete(name);
  }

  private slot(name: string | null, lease: AdapterLease | undefined): PreparedAdapter | null {
    if (name === null) return null;
    if (lease !== undefined) return lease.prepared(name);
    const a = this.adapters.get(name);
    if (a === undefined) {
      throw new AdapterError(
        `no adapter named ${JSON.stringify(name)} is loaded (loaded: ${this.adapterNames.join(', ') || 'none'})`,
      );
    }
    return a;
  }

  private adapterFeeds(names: readonly (string | null)[], lease: AdapterLease | undefined): Map<string, OrtTensorLike> {
    const slots = names.map((n) => this.slot(n, lease));
    // a store recomposes an id into reused arrays: lease feeds are cached by the prepared objects, not by names
    const key =
      lease === undefined
        ? JSON.stringify(names)
        : `lease:${slots.map((s) => (s === null ? '-' : preparedKey(s))).join(',')}`;
    const hit = this.feedCache.get(key);
    if (hit !== undefined) return hit;
    checkMemoryBudget(
      stackedFeedBytes(this.info, slots),
      `the VB-LoRA inputs of ${slots.length} adapter slot(s)`,
      this.budget,
    );
    const feeds = new Map<string, OrtTensorLike>();
    for (const [input, f] of stackFeeds(this.info, slots)) feeds.set(input, ortTensor(this.Tensor, f));
    const withOverrides = slots.filter((s) => s !== null && s.overrides.size > 0);
    if (withOverrides.length > 0 && slots.length > 1) {
      throw new AdapterError(
        `adapter ${withOverrides[0]!.name} replaces base tensors (trained biases or modules_to_save), which cannot differ ` +
          'between the rows of one batch; run it in its own batch',
      );
    }
    for (const [input, base] of this.defaults) {
      const t = slots[0]?.overrides.get(input) ?? base;
      feeds.set(
        input,
        t.dtype === 'f16'
          ? new this.Tensor('float16', t.data as Uint16Array, [...t.shape])
          : new this.Tensor('float32', t.data as Float32Array, [...t.shape]),
      );
    }
    this.feedCache.set(key, feeds);
    if (this.feedCache.size > CACHE_SIZE) this.feedCache.delete(this.feedCache.keys().next().value!);
    return feeds;
  }

  /**
   * Runs the model with the given adapter(s); `feeds` are tensors of the session's onnxruntime module.
   * @throws {AdapterError} for an unknown adapter name (not loaded, or not in `lease`), overriding adapters mixed in
   * one batch, `rows` whose length is not the batch size of the feeds, or a released lease or one from a store of
   * another model.
   * @throws {UnsupportedError} for `rows` on onnxruntime older than 1.22 (no input shapes to check them against).
   */
  async run(feeds: Readonly<Record<string, OrtTensorLike>>, options: AdapterRunOptions = {}): Promise<RunResultOf<S>> {
    const lease = options.lease;
    if (lease !== undefined) checkLeaseFits(this.info, lease);
    const rows = options.rows ?? (lease !== undefined && options.adapter === undefined ? lease.rows : undefined);
    let names: (string | null)[];
    let rowAdapter: BigInt64Array;
    if (rows !== undefined) {
      this.checkRows(feeds, rows.length);
      names = [...new Set(rows)];
      rowAdapter = BigInt64Array.from(rows, (n) => BigInt(names.indexOf(n)));
    } else {
      names = [options.adapter ?? null];
      rowAdapter = new BigInt64Array(1);
    }
    const all: Record<string, OrtTensorLike> = { ...feeds };
    for (const [k, v] of this.adapterFeeds(names, lease)) all[k] = v;
    all[this.info.rowAdapterInput] = new this.Tensor('int64', rowAdapter, [rowAdapter.length]);
    return (await this.session.run(all)) as RunResultOf<S>;
  }

  /**
   * A mixed batch reshapes each layer input to (rows, −1, in): with a wrong number of rows the reshape may still
   * succeed and give every row another row's adapter. So `rows` must match the batch size of every feed whose
   * first dimension the model declares symbolic (e.g. `batch_size`).
   */
  private checkRows(feeds: Readonly<Record<string, OrtTensorLike>>, rows: number): void {
    const ours = this.vbloraInputs();
    const metadata = this.session.inputMetadata;
    if (metadata === undefined) {
      throw new UnsupportedError(
        'a mixed batch (rows) needs onnxruntime ≥ 1.22, whose sessions report the input shapes (inputMetadata) that rows are checked against',
      );
    }
    for (const meta of metadata) {
      if (ours.has(meta.name) || !meta.isTensor || typeof meta.shape?.[0] !== 'string') continue;
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

/** An injected model served on any ONNX Runtime module passed in (onnxruntime-web in a page, or another). */
export class AdapterSession<S extends OrtSessionLike = OrtSessionLike> extends AdapterSessionBase<S> {
  /**
   * Loads an injected model (its bytes, or an `injectAdapterInputs` result) into a session of the onnxruntime
   * module `options.ort`.
   * @example
   * ```ts
   * import * as ort from 'onnxruntime-web';
   * import { adapterFromFiles } from '@vblora/core';
   * import { AdapterSession } from '@vblora/onnx';
   *
   * const bytes = new Uint8Array(await (await fetch('/model.vblora.onnx')).arrayBuffer());
   * const session = await AdapterSession.create(bytes, { ort });
   * await session.loadAdapter('fr', adapterFromFiles({ config, weights }).adapter);
   * const out = await session.run({ input_ids }, { adapter: 'fr' });
   * ```
   * @throws {OnnxModelError} when the model has no VB-LoRA inputs (also a `static` one, whose adapter is built in),
   * or cannot be decoded.
   * @throws {ConfigError} without `ort`, or for a decoded model that keeps tensors in external data files.
   */
  static async create<M extends OrtModule>(
    model: Uint8Array | OnnxModel,
    options: AdapterSessionOptions<M>,
  ): Promise<AdapterSession<SessionOf<M>>> {
    const ort = requireOrt(options?.ort, 'AdapterSession.create');
    const budget = options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
    const source = model instanceof Uint8Array ? model : inlineBytes(model);
    const parts = await injectedParts(
      model instanceof Uint8Array ? decodeOnnxModel(model, { maxMemoryBytes: budget }) : model,
      budget,
    );
    const session = await ort.InferenceSession.create(source, { logSeverityLevel: 3, ...options.sessionOptions });
    return new AdapterSession(session as SessionOf<M>, parts, ort.Tensor, options.backend, budget);
  }
}

/** An in-memory model serialized for onnxruntime (which could not find external data files from bytes). @internal */
export function inlineBytes(model: OnnxModel): Uint8Array {
  if ((model.proto.graph?.initializer ?? []).some((t) => externalDataRef(t) !== null)) {
    throw new ConfigError(
      'this model keeps tensors in external data files: write it with writeOnnxModel and pass the path (Node)',
    );
  }
  return encodeOnnxModel(model.proto);
}

/**
 * The injection description of a decoded model and the base values of its overridable tensors (copied, so that
 * the model's bytes can be freed before onnxruntime loads its own copy).
 * @internal
 */
export async function injectedParts(decoded: OnnxModel, budget: number): Promise<InjectedModelParts> {
  const info = readInjectionInfo(decoded.proto);
  if (info === null) {
    throw new OnnxModelError(
      'the model has no VB-LoRA inputs: inject it first (injectAdapterInputs)',
      'injection-metadata',
    );
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
      throw new OnnxModelError(
        `the injected model lacks ${o.default}, the base value of ${o.key}`,
        'injection-metadata',
        o.default,
      );
    }
    const t = castFloat(await readTensorData(decoded, init, { maxMemoryBytes: budget }), o.dtype, o.key);
    defaults.set(o.input, { ...t, data: t.data.slice() }); // a copy: the model's bytes can be freed
  }
  return { info, defaults };
}
