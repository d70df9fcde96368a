/**
 * One worker's share of a pooled compose: modules of an adapter composed by the CPU kernels straight into the
 * shared WebAssembly memory that holds the results, using a scratch region of that memory reserved for this
 * worker. Runs in the compose pool's worker threads and, without them, in the calling thread.
 * @module
 */
import { factorSource } from '../adapter/factor-source.js';
import type { AdapterFloatDType, Factor } from '../adapter/vblora-adapter.js';
import { cpuComposeAt, type PairRegions } from '../cpu/cpu-compose.js';
import { CpuInstance } from '../cpu/cpu-instance.js';
import { stableBank } from '../kernels/stable-bank.js';
import { DTYPE_ARRAY, numel, tensor, type DType, type HostTensor } from '../tensor/index.js';

/** A tensor the calling thread copied into the shared memory: its dtype, shape and byte offset. */
export interface PlacedTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly offset: number;
}

/** A factor whose tensors are in the shared memory (workers view them there: nothing is cloned per call). */
export type PlacedFactor =
  | { readonly kind: 'logits'; readonly logits: PlacedTensor }
  | { readonly kind: 'topk'; readonly indices: PlacedTensor; readonly weights: PlacedTensor };

/** One module of a compose job: its factors and where its A and B go. */
export interface ComposeModuleJob {
  readonly path: string;
  readonly a: PlacedFactor;
  readonly b: PlacedFactor;
  readonly at: PairRegions;
}

/** What a worker is sent. */
export interface ComposeJob {
  /** The shared memory holding the results and every worker's scratch. */
  readonly memory: WebAssembly.Memory;
  readonly module: WebAssembly.Module;
  /** This worker's scratch [base, limit): the float32 bank (nv, vl) is already at `base`. */
  readonly base: number;
  readonly limit: number;
  readonly bankShape: readonly [number, number];
  readonly k: number;
  readonly modules: readonly ComposeModuleJob[];
  /** Report each module as done (for a progress callback). */
  readonly progress: boolean;
}

function view(buffer: ArrayBufferLike, t: PlacedTensor): HostTensor {
  const Ctor = DTYPE_ARRAY[t.dtype] as unknown as new (b: ArrayBufferLike, offset: number, length: number) => HostTensor['data'];
  return tensor(t.dtype, t.shape, new Ctor(buffer, t.offset, numel(t.shape)));
}

/** The factor viewed in the shared memory. */
function unplace(buffer: ArrayBufferLike, f: PlacedFactor): Factor {
  if (f.kind === 'logits') return { kind: 'logits', logits: view(buffer, f.logits) as HostTensor<AdapterFloatDType> };
  return { kind: 'topk', indices: view(buffer, f.indices), weights: view(buffer, f.weights) as HostTensor<AdapterFloatDType> };
}

/** Composes every module of the job into its regions, calling `done` after each. */
export function runComposeJob(job: ComposeJob, done: (path: string) => void): void {
  const inst = new CpuInstance(job.memory, job.module);
  inst.base = job.base;
  inst.limit = job.limit;
  const [nv, vl] = job.bankShape;
  const bank = stableBank(tensor('f32', job.bankShape, new Float32Array(job.memory.buffer, job.base, nv * vl)));
  inst.bank = bank; // already in place: the kernels read it where it is
  const buffer = job.memory.buffer;
  for (const m of job.modules) {
    const [a, b] = [unplace(buffer, m.a), unplace(buffer, m.b)];
    cpuComposeAt(inst, { logitsA: factorSource(a, job.k), logitsB: factorSource(b, job.k), bank, k: job.k }, m.at);
    if (job.progress) done(m.path);
  }
}
