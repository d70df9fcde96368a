/**
 * `attachAdapters`: switchable VB-LoRA adapters inside a transformers.js model loaded from a hot-swap folder, with
 * no reload. The platform-specific parts (reading a model file, an adapter folder) come from the entry point.
 * @module
 */
import { Tensor } from '@huggingface/transformers';
import { DEFAULT_MAX_MEMORY_BYTES, type Backend } from '@vblora/core';
import {
  checkLeaseFits,
  DTYPE_SUFFIXES,
  ONNX_SUBFOLDER,
  prepareAdapter,
  preparedKey,
  type AdapterLease,
  type FolderDtype,
  type HotSwapInjectionInfo,
  type PreparedAdapter,
} from '@vblora/onnx/web';
import { checkedAdapter, type AdapterInput } from './adapter-source.js';
import { FeedCache } from './adapter-feeds.js';
import { AdapterSelectionError, ModelSessionError } from './errors.js';
import { readModelInjection, type ModelFileAccess } from './injection-source.js';
import { isSessionView, sessionView, type SessionLike } from './session-view.js';

/** A transformers.js model (`AutoModelForCausalLM.from_pretrained(...)`) or a pipeline holding one. */
export type TransformersModelLike =
  { sessions: Record<string, unknown> } | { model: { sessions: Record<string, unknown> } };

/** Which adapter(s) runs use: one name for the whole batch, null for none, or one entry per batch row. */
export type AdapterSelection = string | null | readonly (string | null)[];

/** Options of `attachAdapters`. */
export interface AttachOptions {
  /**
   * The hot-swap model file the session was created from (its bytes, or where it is). Default: found in
   * `folder` from the session's dtype.
   */
  readonly modelFile?: Uint8Array | string | URL;
  /** The model folder given to `from_pretrained`; the file is `<folder>/<subfolder>/<fileName><dtype suffix>.onnx`. */
  readonly folder?: string | URL;
  /** Sub-folder of the ONNX files (transformers.js's `subfolder`, default `onnx`). */
  readonly subfolder?: string;
  /** File stem (transformers.js's `model_file_name`; default: the session's name, `model`). */
  readonly fileName?: string;
  /** The dtype the model was loaded with (default: the one transformers.js records on the session). */
  readonly dtype?: FolderDtype;
  /** The session to wrap (default `model`, else `decoder_model_merged`). */
  readonly session?: string;
  /** Backend that composes adapters (lowrank models; default: core's reference kernels). */
  readonly backend?: Backend;
  /**
   * Memory budget for the stacked adapter inputs of one selection, and for the base values of overridable tensors
   * read from the model file (default `DEFAULT_MAX_MEMORY_BYTES`, 4 GiB).
   */
  readonly maxMemoryBytes?: number;
}

/** Switches VB-LoRA adapters inside one loaded transformers.js model. */
export interface AdapterController {
  /** What the model file expects (variant, modules, input names). */
  readonly info: HotSwapInjectionInfo;
  /** Names of the loaded adapters. */
  readonly names: readonly string[];
  /** The selection runs use now. */
  readonly active: AdapterSelection;
  /**
   * Loads (or replaces) an adapter under `name`: composed or gathered once, here; runs only pick the result.
   * @throws {AdapterError} / {ShapeError} when the adapter does not fit the model's branches.
   */
  load(name: string, adapter: AdapterInput | string | URL): Promise<void>;
  /** Forgets an adapter; false when none had that name. A selection that names it fails at the next run. */
  unload(name: string): boolean;
  /**
   * Selects the adapter for the next runs: a name, null (the base model), or one entry per batch row (the
   * batch of every run must then have exactly that many rows). With `options.lease` (composed adapters from an
   * `AdapterStore` of `@vblora/onnx`, `await store.acquire(rows)`), names are ids of that lease instead of loaded
   * adapters; keep it unreleased while runs use it.
   * @throws {AdapterSelectionError} `unknown`, `busy` or `disposed`.
   * @throws {AdapterError} for a released lease, or one from a store of another model.
   */
  use(selection: AdapterSelection, options?: { readonly lease?: AdapterLease }): void;
  /**
   * Runs `fn` with `selection` in use and no other `withAdapter` call in between (they queue), then restores the
   * previous selection: for servers whose requests use different adapters on one model. With `options.lease`,
   * names are ids of that lease: a server acquires a batch's adapters from its store, runs `generate` here, then
   * releases the lease.
   * @example
   * ```ts
   * const lease = await store.acquire(rows); // one adapter id (or null) per prompt
   * try {
   *   const ids = await adapters.withAdapter(rows, () => model.generate({ ...inputs, max_new_tokens: 32 }), { lease });
   * } finally {
   *   lease.release();
   * }
   * ```
   */
  withAdapter<T>(
    selection: AdapterSelection,
    fn: () => Promise<T>,
    options?: { readonly lease?: AdapterLease },
  ): Promise<T>;
  /** Puts the model's own session back; the controller cannot be used afterwards. */
  dispose(): void;
}

/** How an entry point reaches files and folders. @internal */
export interface AttachIo {
  modelFile(ref: Uint8Array | string | URL): ModelFileAccess;
  join(folder: string | URL, ...parts: string[]): string | URL;
  /** Reads an adapter folder; a fetched file is held only within `maxBytes`. */
  readAdapter(ref: string | URL, name: string, maxBytes: number): Promise<AdapterInput>;
}

function sessionsOf(model: TransformersModelLike): Record<string, unknown> {
  const holder = 'sessions' in model ? model : model.model;
  if (typeof holder?.sessions !== 'object' || holder.sessions === null) {
    throw new ModelSessionError('not a transformers.js model: it has no sessions', 'no-session');
  }
  return holder.sessions;
}

function isSessionLike(s: unknown): s is SessionLike & { config?: { dtype?: unknown } } {
  return (
    typeof s === 'object' &&
    s !== null &&
    Array.isArray((s as SessionLike).inputNames) &&
    typeof (s as SessionLike).run === 'function'
  );
}

/** Every graph input the description names (row input, bank, per-module A/B or top-k, overrides). */
function adapterInputs(info: HotSwapInjectionInfo): Set<string> {
  const s = new Set<string>([info.rowAdapterInput, ...info.overrides.map((o) => o.input)]);
  if (info.bankInput !== null) s.add(info.bankInput);
  for (const m of info.modules) for (const v of Object.values(m.inputs)) s.add(v as string);
  return s;
}

function fileOf(
  options: AttachOptions,
  sessionName: string,
  session: { config?: { dtype?: unknown } },
  io: AttachIo,
): ModelFileAccess {
  if (options.modelFile !== undefined) return io.modelFile(options.modelFile);
  if (options.folder === undefined) {
    throw new ModelSessionError(
      'attachAdapters needs the model file: pass `folder` (the one given to from_pretrained) or `modelFile`',
      'model-file',
    );
  }
  const dtype = options.dtype ?? session.config?.dtype;
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_SUFFIXES, dtype)) {
    throw new ModelSessionError(
      `cannot tell which file of ${String(options.folder)} the session runs (dtype ${JSON.stringify(dtype)}): pass \`dtype\` ` +
        `(${Object.keys(DTYPE_SUFFIXES).join(', ')}) or \`modelFile\``,
      'model-file',
    );
  }
  const file = `${options.fileName ?? sessionName}${DTYPE_SUFFIXES[dtype as FolderDtype]}.onnx`;
  return io.modelFile(io.join(options.folder, options.subfolder ?? ONNX_SUBFOLDER, file));
}

type TensorArgs = Extract<ConstructorParameters<typeof Tensor>, { length: 3 }>;
/** A tensor of the runtime transformers.js runs the session on (onnxruntime-node or -web), through its own Tensor. */
const makeTensor = (type: string, data: ArrayLike<unknown>, dims: readonly number[]): unknown =>
  new Tensor(type as TensorArgs[0], data as TensorArgs[1], [...dims]).ort_tensor;

/** The batch size of a run: rows of `input_ids`, else of `attention_mask`, else of `inputs_embeds`. */
function batchOf(feeds: Readonly<Record<string, unknown>>): number | undefined {
  for (const name of ['input_ids', 'attention_mask', 'inputs_embeds']) {
    const dims = (feeds[name] as { dims?: readonly number[] } | undefined)?.dims;
    if (dims !== undefined && dims.length > 0) return dims[0];
  }
  return undefined;
}

/** @internal */
export async function attachAdaptersWith(
  model: TransformersModelLike,
  options: AttachOptions,
  io: AttachIo,
): Promise<AdapterController> {
  const sessions = sessionsOf(model);
  const sessionName = options.session ?? (Object.hasOwn(sessions, 'model') ? 'model' : 'decoder_model_merged');
  const session = Object.hasOwn(sessions, sessionName) ? sessions[sessionName] : undefined;
  if (!isSessionLike(session)) {
    throw new ModelSessionError(
      `the model has no session ${sessionName} (it has: ${Object.keys(sessions).join(', ') || 'none'})`,
      'no-session',
    );
  }
  if (isSessionView(session))
    throw new ModelSessionError(`session ${sessionName} has adapters attached already`, 'attached');
  const file = fileOf(options, sessionName, session, io);
  const budget = options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
  const { info, defaults } = await readModelInjection(file, budget);
  const hidden = adapterInputs(info);
  const missing = [...hidden].filter((n) => !session.inputNames.includes(n));
  if (missing.length > 0) {
    throw new ModelSessionError(
      `session ${sessionName} lacks ${missing.length} input(s) that ${file.label} describes (first: ${missing[0]}): the session ` +
        'was not created from that file (another dtype?)',
      'inputs',
    );
  }

  const adapters = new Map<string, PreparedAdapter>();
  const cache = new FeedCache(info, defaults, makeTensor, budget);
  let selection: AdapterSelection = null;
  let selectionLease: AdapterLease | undefined;
  let held = false;
  let queue: Promise<unknown> = Promise.resolve();
  let disposed = false;

  const slot = (name: string | null, lease = selectionLease): PreparedAdapter | null => {
    if (name === null) return null;
    if (lease !== undefined) {
      if (!lease.ids.includes(name)) {
        throw new AdapterSelectionError(
          `the lease holds no adapter ${JSON.stringify(name)} (it holds: ${lease.ids.join(', ') || 'none'})`,
          'unknown',
        );
      }
      return lease.prepared(name);
    }
    const a = adapters.get(name);
    if (a === undefined) {
      throw new AdapterSelectionError(
        `no adapter named ${JSON.stringify(name)} is loaded (loaded: ${[...adapters.keys()].join(', ') || 'none'})`,
        'unknown',
      );
    }
    return a;
  };
  const alive = (): void => {
    if (disposed) throw new AdapterSelectionError('the adapter controller was disposed', 'disposed');
  };
  const check = (s: AdapterSelection, lease: AdapterLease | undefined): void => {
    if (lease !== undefined) checkLeaseFits(info, lease);
    for (const n of typeof s === 'object' && s !== null ? s : [s]) slot(n, lease);
  };

  const extra = (feeds: Readonly<Record<string, unknown>>): Record<string, unknown> => {
    alive();
    if (selectionLease !== undefined) checkLeaseFits(info, selectionLease);
    const rows = typeof selection === 'object' && selection !== null ? selection : null;
    let names: (string | null)[];
    let rowAdapter: BigInt64Array;
    if (rows !== null) {
      const batch = batchOf(feeds);
      if (batch !== rows.length) {
        throw new AdapterSelectionError(
          `the selection names ${rows.length} rows, the run has ${batch ?? 'an unknown number of'} rows`,
          'rows',
        );
      }
    }
    if (rows !== null && new Set(rows).size > 1) {
      names = [...new Set(rows)];
      rowAdapter = BigInt64Array.from(rows, (n) => BigInt(names.indexOf(n)));
    } else {
      names = [rows === null ? (selection as string | null) : (rows[0] ?? null)];
      rowAdapter = new BigInt64Array(1); // [0]: slot 0 for every row, whatever the batch
    }
    const slots = names.map((n) => slot(n));
    const overriding = slots.find((s): s is PreparedAdapter => s !== null && s.overrides.size > 0);
    if (overriding !== undefined && slots.length > 1) {
      throw new AdapterSelectionError(
        `adapter ${overriding.name} replaces base tensors (trained biases or modules_to_save), which cannot differ between the rows of one batch`,
        'mixed-overrides',
      );
    }
    // a store recomposes an id into reused arrays: lease feeds are cached by the prepared objects, not by names
    const key =
      selectionLease === undefined
        ? JSON.stringify(names)
        : `lease:${slots.map((s) => (s === null ? '-' : preparedKey(s))).join(',')}`;
    return {
      ...cache.feeds(key, slots),
      [info.rowAdapterInput]: makeTensor('int64', rowAdapter, [rowAdapter.length]),
    };
  };

  const view = sessionView(session, hidden, extra);
  sessions[sessionName] = view;

  return {
    info,
    get names() {
      return [...adapters.keys()];
    },
    get active() {
      return selection;
    },
    async load(name, adapter) {
      alive();
      const input =
        typeof adapter === 'string' || adapter instanceof URL
          ? await io.readAdapter(adapter, name, options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES)
          : adapter;
      const prepared = await prepareAdapter(info, name, checkedAdapter(name, input), options.backend);
      alive();
      adapters.set(name, prepared);
      cache.clear();
    },
    unload(name) {
      cache.clear();
      return adapters.delete(name);
    },
    use(next, options = {}) {
      alive();
      if (held)
        throw new AdapterSelectionError(
          'withAdapter holds the model: use() would switch adapters under its runs',
          'busy',
        );
      check(next, options.lease);
      selection = typeof next === 'object' && next !== null ? [...next] : next;
      selectionLease = options.lease;
    },
    withAdapter<T>(
      next: AdapterSelection,
      fn: () => Promise<T>,
      options: { readonly lease?: AdapterLease } = {},
    ): Promise<T> {
      const turn = queue.then(async () => {
        alive();
        check(next, options.lease);
        const before = selection;
        const leaseBefore = selectionLease;
        selection = typeof next === 'object' && next !== null ? [...next] : next;
        selectionLease = options.lease;
        held = true;
        try {
          return await fn();
        } finally {
          held = false;
          selection = before;
          selectionLease = leaseBefore;
        }
      });
      queue = turn.catch(() => undefined);
      return turn;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      if (sessions[sessionName] === view) sessions[sessionName] = session;
      adapters.clear();
      cache.clear();
    },
  };
}
