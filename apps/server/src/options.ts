/**
 * Options of the server and their defaults.
 * @module
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TINY_LLAMA_DIR, tinyLlamaPath } from '@vblora/conformance/fixtures';
import { ConfigError } from '@vblora/core';

/** The dtypes the server runs; int8 quantizes each layer's input over the whole batch, so its rows are not independent. */
export type ServerDtype = 'fp32' | 'q4';

/** Options of `createServer`. */
export interface ServerOptions {
  /** transformers.js model folder of the base model (default: the tiny Llama fixture). */
  readonly baseModel?: string;
  /** Folder whose sub-folders are PEFT adapters; the adapter id is the sub-folder's name (default: the fixture's). */
  readonly adaptersDir?: string;
  /** Folder the server owns for the hot-swap model it builds (default `<tmp>/vblora-server-cache`). */
  readonly cacheDir?: string;
  /** Model file to run (default `fp32`). */
  readonly dtype?: ServerDtype;
  /**
   * Adapters whose target modules the hot-swap model gets branches for (ids in `adaptersDir`). Default: one
   * adapter per distinct module set among every adapter config in `adaptersDir`, read at startup.
   */
  readonly templateAdapters?: readonly string[];
  /**
   * Read every adapter of `adaptersDir` into memory at startup, as far as `storedBytes` allows (default true);
   * false: each is read at its first request.
   */
  readonly preloadAdapters?: boolean;
  /** Bytes of adapter files held in memory, parsed (default 256 MiB). */
  readonly storedBytes?: number;
  /** Bytes of composed A/B factors held ready to run (default 64 MiB); adapters of running batches stay over it. */
  readonly composedBytes?: number;
  /** How long the first request of a batch waits for others, ms (default 5). */
  readonly batchWindowMs?: number;
  /** Most requests in one batch (default 8). */
  readonly maxBatchSize?: number;
  /** Largest `max_new_tokens` a request may ask for (default 64); the default of a request is 16. */
  readonly maxNewTokens?: number;
  /** Largest prompt, characters (default 4096); longer prompts get 413. */
  readonly maxPromptChars?: number;
  /** Largest request body, bytes (default 16 KiB). */
  readonly bodyLimit?: number;
  /**
   * Threads ONNX Runtime uses inside one run (its intra-op pool; default 1). Batches run one at a time beside the
   * HTTP side on the same process: a pool of more threads spins between operators and takes the cores the server
   * needs, and with rows of different adapters (many small per-row matrix products) it spends more than it saves
   * (measured on the tiny Llama: 3–4× the CPU time per batch at the default pool). Raise it for large models on
   * many cores; 0 is ONNX Runtime's default (one thread per physical core).
   */
  readonly intraOpThreads?: number;
  /** Most requests waiting for a batch (default 1024); more get 503. */
  readonly maxQueue?: number;
  /** fastify's logger (default off). */
  readonly logger?: boolean;
}

/** Options with every default filled in. */
export type ResolvedOptions = Required<Omit<ServerOptions, 'templateAdapters'>> & {
  readonly templateAdapters: readonly string[] | undefined;
};

const positiveInt = (v: number, name: string, max = Number.MAX_SAFE_INTEGER): number => {
  if (!Number.isSafeInteger(v) || v < 1 || v > max)
    throw new ConfigError(`${name} must be an integer in [1, ${max}], got ${v}`, name);
  return v;
};

const threads = (v: number): number => {
  if (!Number.isSafeInteger(v) || v < 0 || v > 1024)
    throw new ConfigError(`intraOpThreads must be an integer in [0, 1024], got ${v}`, 'intraOpThreads');
  return v;
};

/**
 * Fills in the defaults and checks the numbers.
 * @throws {ConfigError} naming the option that is out of range.
 */
export function resolveOptions(o: ServerOptions = {}): ResolvedOptions {
  const window = o.batchWindowMs ?? 5;
  if (!(Number.isFinite(window) && window >= 0 && window <= 10_000))
    throw new ConfigError(`batchWindowMs must be in [0, 10000], got ${window}`, 'batchWindowMs');
  if (o.dtype !== undefined && o.dtype !== 'fp32' && o.dtype !== 'q4')
    throw new ConfigError(`dtype must be fp32 or q4, got ${String(o.dtype)}`, 'dtype');
  return {
    baseModel: o.baseModel ?? TINY_LLAMA_DIR,
    adaptersDir: o.adaptersDir ?? tinyLlamaPath('adapters'),
    cacheDir: o.cacheDir ?? join(tmpdir(), 'vblora-server-cache'),
    dtype: o.dtype ?? 'fp32',
    templateAdapters: o.templateAdapters,
    preloadAdapters: o.preloadAdapters ?? true,
    storedBytes: positiveInt(o.storedBytes ?? 256 * 2 ** 20, 'storedBytes'),
    composedBytes: positiveInt(o.composedBytes ?? 64 * 2 ** 20, 'composedBytes'),
    batchWindowMs: window,
    maxBatchSize: positiveInt(o.maxBatchSize ?? 8, 'maxBatchSize', 256),
    maxNewTokens: positiveInt(o.maxNewTokens ?? 64, 'maxNewTokens', 4096),
    maxPromptChars: positiveInt(o.maxPromptChars ?? 4096, 'maxPromptChars'),
    bodyLimit: positiveInt(o.bodyLimit ?? 16 * 1024, 'bodyLimit'),
    maxQueue: positiveInt(o.maxQueue ?? 1024, 'maxQueue'),
    intraOpThreads: threads(o.intraOpThreads ?? 1),
    logger: o.logger ?? false,
  };
}
