/**
 * Capabilities: what a backend offers beyond its kernels, for core's adapter-level code to ask for instead of
 * checking which backend it was given (pairs storage, a parallel merge, a whole-adapter compose). PEFT's top-k
 * reload is not a capability but a kernel (`topkReload`). Every capability is optional; without it core takes its plain path (plain
 * arrays, the backend's own merge kernel one weight at a time). A capability never changes a number: whatever it
 * does gives the bits the backend's kernels give.
 * @module
 */
import { BackendDefinitionError } from '../errors.js';
import type { Factor } from '../adapter/vblora-adapter.js';
import type { LowRankPair } from '../kernels/compose-low-rank.js';
import type { WeightDType } from '../kernels/contract.js';
import type { HostTensor } from '../tensor/host-tensor.js';

/** One layer of an adapter as the compose kernel will see it (sizes of its A and B and of their sources). */
export interface PairsLayer {
  /** Rows of vl values that A holds: r · in_t. */
  readonly rowsA: number;
  /** Rows of vl values that B holds: out_t · r. */
  readonly rowsB: number;
  /** The rank. */
  readonly r: number;
  /** Top-k. */
  readonly k: number;
  /** Vectors in the bank. */
  readonly nv: number;
  /** Vector length. */
  readonly vl: number;
  /** True when A's source is dense logits (top-k selection runs), false for a top-k checkpoint form. */
  readonly denseA: boolean;
  /** Same for B. */
  readonly denseB: boolean;
}

/**
 * Storage for composed pairs (`allocatePairs`): memory that the backend's `composeLowRank` writes A and B into in
 * place, without a copy out of its own memory (the cpu backend: a WebAssembly memory with kernel scratch after the
 * pairs).
 */
export interface PairsStorage {
  /**
   * A buffer whose first `bytes` hold the pairs, able to compose any of `layers` in place; `shared`: backed by
   * shared memory (a SharedArrayBuffer) that worker threads can read. Undefined lets core allocate plain memory
   * (the backend's memory cannot hold it, or its engine lacks what it needs).
   * @throws {ResourceLimitError} when `shared` memory of this size cannot be had from the backend.
   */
  allocate(bytes: number, layers: readonly PairsLayer[], shared: boolean): ArrayBufferLike | undefined;
}

/** One merge for {@link MergePool.run}: the weight in regions of the pool's memory. */
export interface PoolMergeJob {
  readonly dtype: WeightDType;
  /** Weight shape: (out, in), or (in, out) with fanInFanOut. */
  readonly shape: readonly [number, number];
  /** Views from {@link MergePool.regions}: the weight, and where the merged weight goes (may be the same view). */
  readonly input: Uint8Array;
  readonly output: Uint8Array;
  /** (r, in) and (out, r) float32. */
  readonly A: Float32Array;
  readonly B: Float32Array;
  readonly fanInFanOut: boolean;
  /** −1 unmerges. */
  readonly sign?: 1 | -1;
  readonly safe: boolean;
  readonly adapter: string;
  readonly module: string;
}

/** Merges weights in place on several threads, in memory of its own. */
export interface MergePool {
  /** Number of threads merging (1 = in this thread). */
  readonly threads: number;
  /** Largest weight, in bytes, that {@link MergePool.regions} can hold. */
  readonly maxRegionBytes: number;
  /**
   * `count` regions of `bytes` each in the pool's memory (16-byte aligned; earlier views stay valid but the
   * regions are reused): read a weight into one, then {@link MergePool.run}.
   */
  regions(bytes: number, count?: number): Uint8Array[];
  /**
   * Merges the weight and resolves when the output is complete; NumericalError in safe mode on a non-finite result.
   * Calls run one after another.
   */
  run(job: PoolMergeJob): Promise<void>;
  /** Stops the threads. */
  close(): Promise<void>;
}

/**
 * A parallel merge for `mergeCheckpoint` (Node): a pool of threads merging each adapted weight in place, giving
 * the bits of the backend's own `merge` kernel.
 */
export interface ParallelMerge {
  /** Largest weight, in bytes, a pool region can hold; larger weights go through the backend's `merge` kernel. */
  readonly maxRegionBytes: number;
  /** Starts a pool of `threads` threads (default: every core; 1 merges in the calling thread). */
  open(threads?: number): MergePool;
}

/** One module for {@link ComposeAll.run}: its two factors as stored, and the pair to compose them into. */
export interface ComposeAllModule {
  readonly path: string;
  readonly a: Factor;
  readonly b: Factor;
  /** Float32 A `(r, in_t·vl)` and B `(out_t·vl, r)` of this module's shapes (checked by core). */
  readonly out: LowRankPair;
}

/**
 * A whole-adapter compose (`composeAdapter` with `into`): every module's top-k reload and mix in one call, instead
 * of the per-module path (`factorSource`, then the backend's `composeLowRank` kernel once per module), whose bits
 * it must give in every pair.
 */
export interface ComposeAll {
  /**
   * Composes every module into its `out` and returns true, or returns false when it does not (the inputs do not
   * qualify, e.g. pairs outside the backend's pairs storage, or a check failed): core then runs the per-module
   * path, which overwrites every pair and throws that path's errors. It never throws for bad inputs.
   */
  run(modules: readonly ComposeAllModule[], bank: HostTensor<'f32'>, k: number): boolean | Promise<boolean>;
}

/** The capabilities a backend may offer; see each. */
export interface BackendCapabilities {
  /** Storage for composed pairs that the backend composes into in place (`allocatePairs`). */
  readonly pairsStorage?: PairsStorage;
  /** A merge of checkpoint weights on several threads (`mergeCheckpoint`). */
  readonly parallelMerge?: ParallelMerge;
  /** Every module of an adapter composed into its pairs in one call (`composeAdapter` with `into`). */
  readonly composeAll?: ComposeAll;
}

const CAPABILITY_METHODS: Readonly<Record<keyof BackendCapabilities, readonly string[]>> = {
  pairsStorage: ['allocate'],
  parallelMerge: ['open'],
  composeAll: ['run'],
};

/**
 * Checks a spec's capabilities and returns them frozen (copied, so later edits of the spec do not leak in).
 * @throws {BackendDefinitionError} on an unknown capability, a capability that is not an object, a missing
 * method, or a `parallelMerge.maxRegionBytes` that is not a number of bytes ≥ 0.
 * @internal
 */
export function checkCapabilities(backend: string, caps: BackendCapabilities | undefined): BackendCapabilities {
  const out: Record<string, unknown> = {};
  if (caps === undefined) return Object.freeze(out);
  if (typeof caps !== 'object' || caps === null)
    throw new BackendDefinitionError(`backend "${backend}": capabilities must be an object`, 'capabilities');
  for (const [key, value] of Object.entries(caps)) {
    if (value === undefined) continue;
    const where = `capabilities.${key}`;
    const methods = Object.hasOwn(CAPABILITY_METHODS, key)
      ? CAPABILITY_METHODS[key as keyof BackendCapabilities]
      : undefined;
    if (methods === undefined) {
      const known = Object.keys(CAPABILITY_METHODS).join(', ');
      throw new BackendDefinitionError(`backend "${backend}": "${key}" is not a capability (${known})`, where);
    }
    if (typeof value !== 'object' || value === null)
      throw new BackendDefinitionError(`backend "${backend}": capability ${key} must be an object`, where);
    for (const m of methods) {
      if (typeof (value as Record<string, unknown>)[m] !== 'function')
        throw new BackendDefinitionError(`backend "${backend}": capability ${key} needs a function ${m}`, where);
    }
    if (key === 'parallelMerge') {
      const max = (value as ParallelMerge).maxRegionBytes;
      if (typeof max !== 'number' || !(max >= 0))
        throw new BackendDefinitionError(
          `backend "${backend}": parallelMerge.maxRegionBytes must be a number of bytes ≥ 0, got ${String(max)}`,
          `${where}.maxRegionBytes`,
        );
    }
    // copied as bound methods: a capability may be a class instance whose methods live on its prototype
    const copy: Record<string, unknown> =
      key === 'parallelMerge' ? { maxRegionBytes: (value as ParallelMerge).maxRegionBytes } : {};
    for (const m of methods)
      copy[m] = ((value as Record<string, unknown>)[m] as (...a: unknown[]) => unknown).bind(value);
    out[key] = Object.freeze(copy);
  }
  return Object.freeze(out);
}
