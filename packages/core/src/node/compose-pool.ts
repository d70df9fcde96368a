/**
 * Composing an adapter on every core: worker threads run the CPU kernels on one shared WebAssembly memory that
 * holds the results (`allocatePairs(adapter, { shared: true })`, reusable across calls) and, past them, a scratch
 * region per worker. Each worker composes its modules straight into the results: nothing is allocated, copied
 * back or transferred but the factors. Same kernels, same bits as `composeAdapter` on `createCpuBackend()`.
 * @module
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { allocatePairs, intoPair, pairsMemory } from '../adapter/low-rank-pairs.js';
import type { Factor, VBLoRAAdapter } from '../adapter/vblora-adapter.js';
import { composeScratchBytes } from '../cpu/cpu-compose.js';
import { align16, cpuModule, MAX_PAGES } from '../cpu/cpu-instance.js';
import { AdapterError, ResourceLimitError, UnsupportedError, VBLoRAError } from '../errors.js';
import type { LowRankPair } from '../kernels/index.js';
import { toF32, type HostTensor } from '../tensor/index.js';
import { runComposeJob, type ComposeJob, type ComposeModuleJob, type PlacedFactor, type PlacedTensor } from './compose-job.js';
import { rebuildError, type WorkerErrorInfo } from './worker-error.js';

/** Options of {@link ComposePool.compose}. */
export interface PoolComposeOptions {
  /**
   * Results to overwrite: pairs from `allocatePairs(adapter, { shared: true })` or an earlier call's result.
   * Default: allocated for this call.
   */
  readonly into?: ReadonlyMap<string, LowRankPair>;
  /** Only these module paths (default: all, in file order). */
  readonly modules?: readonly string[];
  /** Called after each module with the number done and the total. */
  readonly onProgress?: (done: number, total: number, module: string) => void;
}

/** Composes adapters with the CPU kernels on worker threads. */
export interface ComposePool {
  /** Number of threads composing (1 = in this thread). */
  readonly threads: number;
  /**
   * Every module's float32 A and B, as `composeAdapter` gives them, in `into`'s arrays; calls run one after another.
   * @throws {AdapterError} / {ShapeError} as `composeAdapter`; {UnsupportedError} when `into` is not one shared allocation.
   */
  compose(adapter: VBLoRAAdapter, options?: PoolComposeOptions): Promise<Map<string, LowRankPair>>;
  /** Stops the worker threads. */
  close(): Promise<void>;
}

/** Where a memory's scratch and factor regions start (bytes), and their sizes. */
interface Room {
  readonly start: number;
  readonly each: number;
  readonly factorStart: number;
  readonly factorBytes: number;
}

/** Bytes of a factor's tensors, each 16-byte aligned. */
function factorBytes(f: Factor): number {
  return f.kind === 'logits' ? align16(f.logits.data.byteLength) : align16(f.indices.data.byteLength) + align16(f.weights.data.byteLength);
}

/** Copies a factor's tensors into `buffer` from byte `at` on; returns their placement and the next free byte. */
function place(buffer: ArrayBufferLike, at: number, f: Factor): [PlacedFactor, number] {
  const put = (t: HostTensor): PlacedTensor => {
    new Uint8Array(buffer, at, t.data.byteLength).set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    const placed = { dtype: t.dtype, shape: t.shape, offset: at };
    at += align16(t.data.byteLength);
    return placed;
  };
  const placed: PlacedFactor = f.kind === 'logits' ? { kind: 'logits', logits: put(f.logits) } : { kind: 'topk', indices: put(f.indices), weights: put(f.weights) };
  return [placed, at];
}

type Reply = { done: string } | { ok: true } | { ok: false; error: WorkerErrorInfo };

const PAGE = 65536;

/** Splits modules over `n` workers, largest first onto the least loaded (balanced by output size). */
function balance(jobs: readonly ComposeModuleJob[], n: number): ComposeModuleJob[][] {
  const size = (j: ComposeModuleJob) => j.at.shapeA[0] * j.at.shapeA[1] + j.at.shapeB[0] * j.at.shapeB[1];
  const parts = Array.from({ length: n }, () => ({ load: 0, jobs: [] as ComposeModuleJob[] }));
  for (const j of [...jobs].sort((x, y) => size(y) - size(x))) {
    const p = parts.reduce((best, q) => (q.load < best.load ? q : best));
    p.jobs.push(j);
    p.load += size(j);
  }
  return parts.map((p) => p.jobs);
}

/**
 * Creates a pool with `threads` workers (default: every core). Worker threads need the compiled worker file;
 * when running from TypeScript sources (tests) the pool composes in this thread, the same way.
 *
 * @example
 * ```ts
 * const pool = createComposePool();
 * const into = allocatePairs(adapter, { shared: true });
 * const pairs = await pool.compose(adapter, { into }); // again with another adapter of the same shapes: no allocation
 * await pool.close();
 * ```
 */
export function createComposePool(threads = availableParallelism()): ComposePool {
  const workerUrl = new URL('./compose-worker.js', import.meta.url);
  const canFork = threads > 1 && workerUrl.protocol === 'file:' && existsSync(fileURLToPath(workerUrl));
  const workers = canFork ? Array.from({ length: threads }, () => new Worker(workerUrl, { execArgv: [] })) : [];
  const slots = Math.max(1, workers.length);
  const module = cpuModule(true);
  /** Room reserved past the pairs of each memory: every worker's scratch, then the factors of a call. */
  const reserved = new WeakMap<WebAssembly.Memory, Room>();
  let queue: Promise<unknown> = Promise.resolve();

  const call = (w: Worker, job: ComposeJob, onDone: (path: string) => void) =>
    new Promise<void>((resolve, reject) => {
      const onMessage = (reply: Reply) => {
        if ('done' in reply) return onDone(reply.done);
        w.off('message', onMessage);
        w.off('error', onError);
        if (reply.ok) resolve();
        else reject(rebuildError(reply.error));
      };
      const onError = (err: Error) => {
        w.off('message', onMessage);
        reject(new VBLoRAError(`a compose worker failed: ${err.message}`, { cause: err }));
      };
      w.on('message', onMessage);
      w.once('error', onError);
      w.postMessage(job);
    });

  /**
   * At least `each` bytes of scratch per worker and `factors` bytes for the factors, past the pairs of `memory`
   * (grown when a call needs more, then reused by later calls).
   */
  function reserve(memory: WebAssembly.Memory, each: number, factors: number): Room {
    const have = reserved.get(memory);
    if (have !== undefined && have.each >= each && have.factorBytes >= factors) return have;
    const start = align16(memory.buffer.byteLength);
    const room = { start, each, factorStart: start + slots * each, factorBytes: factors };
    const end = room.factorStart + factors;
    const pages = Math.ceil((end - memory.buffer.byteLength) / PAGE);
    if (memory.buffer.byteLength / PAGE + pages > MAX_PAGES) {
      throw new ResourceLimitError(
        `ComposePool: the pairs, ${slots} × ${(each / 2 ** 20).toFixed(1)} MiB of scratch and ${(factors / 2 ** 20).toFixed(1)} MiB of factors exceed a 4 GiB WebAssembly memory`,
        'wasm-memory',
      );
    }
    memory.grow(pages);
    reserved.set(memory, room);
    return room;
  }

  async function composeOne(adapter: VBLoRAAdapter, options: PoolComposeOptions): Promise<Map<string, LowRankPair>> {
    const into = options.into ?? allocatePairs(adapter, { shared: true, ...(options.modules === undefined ? {} : { modules: options.modules }) });
    const { topk: k, vector_length: vl, num_vectors: nv } = adapter.config;
    const paths = options.modules ?? [...adapter.modules.keys()];
    const out = new Map<string, LowRankPair>();
    let buffer: ArrayBufferLike | undefined;
    let need = 0;
    let factorTotal = 0;
    const mods = paths.map((path) => {
      const m = adapter.modules.get(path);
      if (m === undefined) throw new AdapterError(`adapter "${adapter.name}" has no module ${path}`, path);
      const pair = intoPair(into, m, vl); // AdapterError / ShapeError as composeAdapter gives
      for (const data of [pair.A.data, pair.B.data]) {
        if (pairsMemory(data.buffer) === undefined || (buffer !== undefined && data.buffer !== buffer)) {
          throw new UnsupportedError(`ComposePool.compose: into must come from one allocatePairs(adapter, { shared: true }); ${path} does not`);
        }
        buffer = data.buffer;
      }
      out.set(path, pair);
      const [r, rowsA, rowsB] = [pair.A.shape[0]!, pair.A.data.length / vl, pair.B.data.length / vl];
      need = Math.max(need, composeScratchBytes({ rowsA, rowsB, r, k, nv, vl, denseA: m.a.kind === 'logits', denseB: m.b.kind === 'logits' }));
      factorTotal += factorBytes(m.a) + factorBytes(m.b);
      const at = { A: pair.A.data.byteOffset, B: pair.B.data.byteOffset, shapeA: [pair.A.shape[0]!, pair.A.shape[1]!], shapeB: [pair.B.shape[0]!, pair.B.shape[1]!] } as const;
      return { m, at };
    });
    if (buffer === undefined) return out;
    const memory = pairsMemory(buffer)!;
    const { start, each, factorStart } = reserve(memory, align16(need), factorTotal);
    // the factors go into the shared memory once (workers view them there) instead of being cloned per worker
    const mem = memory.buffer;
    let next = factorStart;
    const jobs = mods.map(({ m, at }): ComposeModuleJob => {
      const [a, afterA] = place(mem, next, m.a);
      const [b, afterB] = place(mem, afterA, m.b);
      next = afterB;
      return { path: m.path, a, b, at };
    });
    const bank = toF32(adapter.bank);
    const bankShape = [bank.shape[0]!, bank.shape[1]!] as const;
    const jobFor = (i: number, modules: ComposeModuleJob[]): ComposeJob => {
      const base = start + i * each;
      new Float32Array(memory.buffer, base, bank.data.length).set(bank.data); // each worker's bank copy, in place
      return { memory, module, base, limit: base + each, bankShape, k, modules, progress: options.onProgress !== undefined };
    };
    let done = 0;
    const onDone = (path: string) => options.onProgress?.(++done, paths.length, path);
    if (workers.length === 0) {
      runComposeJob(jobFor(0, jobs), onDone);
      return out;
    }
    // every worker finishes before the call settles (a failed one must not leave another busy for the next call)
    const results = await Promise.allSettled(balance(jobs, workers.length).map((mods, i) => (mods.length === 0 ? undefined : call(workers[i]!, jobFor(i, mods), onDone))));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    return out;
  }

  return {
    threads: slots,
    compose(adapter, options = {}) {
      const next = queue.then(() => composeOne(adapter, options));
      queue = next.catch(() => undefined);
      return next;
    },
    async close() {
      await queue;
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
