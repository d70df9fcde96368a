import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { VBLoRAAdapter } from '../adapter/vblora-adapter.js';
import { composeAdapter } from '../adapter/compose-adapter.js';
import { baseKeyOfExtra, checkBaseHasModules } from '../adapter/merge-state-dict.js';
import { referenceBackend, requireKernel, type Backend } from '../backend/index.js';
import { isCpuBackend } from '../cpu/cpu-backend.js';
import { planSafetensors } from '../checkpoint/safetensors-plan.js';
import { AdapterError, ShapeError } from '../errors.js';
import type { LowRankPair, WeightDType } from '../kernels/index.js';
import { fromF32, formatShape, sameShape, toF32, type HostTensor } from '../tensor/index.js';
import { makeFolder, removeStaleTempFiles, syncFolder, tempPathFor, writeErrorFor, writeFileAtomic } from './atomic-write.js';
import { resolveCheckpointFiles, SHARD_INDEX_FILE } from './checkpoint-files.js';
import { createMergePool, type MergePool } from './merge-pool.js';
import { openSafetensorsFile, type SafetensorsFileReader } from './safetensors-file.js';

/** Options of {@link mergeCheckpoint}. */
export interface MergeCheckpointOptions {
  /** Backend for compose and, unless it is the reference or a cpu backend (merged by the worker pool), for merge; default the reference backend. */
  readonly backend?: Backend;
  /** PEFT's safe_merge: a NumericalError naming the module if a merged weight is not finite. */
  readonly safe?: boolean;
  /** Threads for the reference merge (default every core; 1 = in-process). */
  readonly threads?: number;
  /** Called after each tensor with bytes done and total. */
  readonly onProgress?: (doneBytes: number, totalBytes: number, tensor: string) => void;
}

/** What a merge did. */
export interface MergeCheckpointResult {
  readonly shards: readonly string[];
  readonly mergedModules: number;
  readonly bytes: number;
  readonly threads: number;
}

interface ShardPlan {
  readonly reader: SafetensorsFileReader;
  readonly out: string;
}

async function mergeTensor(
  t: HostTensor,
  pair: LowRankPair,
  adapter: VBLoRAAdapter,
  path: string,
  options: MergeCheckpointOptions,
  pool: MergePool,
  region: Uint8Array | undefined,
): Promise<HostTensor> {
  const backend = options.backend ?? referenceBackend;
  const fanInFanOut = adapter.config.fan_in_fan_out;
  const safe = options.safe ?? false;
  const sameBits = backend === referenceBackend || isCpuBackend(backend);
  if (!sameBits || region === undefined) {
    // another backend's kernel; or a weight past the pool's 4 GiB memory: the backend's own kernel
    const merge = requireKernel(backend, 'merge');
    return merge({ weight: t as HostTensor<WeightDType>, A: pair.A, B: pair.B, fanInFanOut, safe, adapter: adapter.name, module: path });
  }
  // the reference's (and the cpu backend's) numbers, by the pool's WebAssembly kernels on every core
  const shape: [number, number] = [t.shape[0]!, t.shape[1]!];
  await pool.run({ dtype: t.dtype as WeightDType, shape, input: region, output: region, A: pair.A.data, B: pair.B.data, fanInFanOut, safe, adapter: adapter.name, module: path });
  return t; // merged in place: t's data is the region
}

/**
 * Merges an adapter into a base checkpoint on disk — a single `.safetensors` file or a sharded folder with
 * `model.safetensors.index.json` — streaming tensor by tensor: memory holds the largest adapted weight (merged
 * in place by the CPU kernels on every core) and the largest other tensor, never the model. Output keys, order, dtypes and shard names equal the input's; every shard (and the
 * index) is written atomically.
 */
export async function mergeCheckpoint(
  adapter: VBLoRAAdapter,
  basePath: string,
  outPath: string,
  options: MergeCheckpointOptions = {},
): Promise<MergeCheckpointResult> {
  const files = await resolveCheckpointFiles(basePath);
  const plans: ShardPlan[] = [];
  const pool = createMergePool(options.threads);
  try {
    if (files.kind === 'sharded') await makeFolder(outPath).catch((e: unknown) => Promise.reject(writeErrorFor(outPath, e)));
    for (const shard of files.shards) {
      const reader = await openSafetensorsFile(shard);
      plans.push({ reader, out: files.kind === 'sharded' ? join(outPath, basename(shard)) : outPath });
    }
    // every adapted module and carried tensor must exist with the right shape before anything is written
    const where = new Map<string, HostTensor['shape']>();
    for (const p of plans) for (const e of p.reader.header.entries) where.set(e.name, e.shape);
    checkBaseHasModules(adapter, where.keys());
    const fanInFanOut = adapter.config.fan_in_fan_out;
    for (const m of adapter.modules.values()) {
      const shape = where.get(`${m.path}.weight`)!;
      const expected = fanInFanOut ? [m.inFeatures, m.outFeatures] : [m.outFeatures, m.inFeatures];
      if (!sameShape(shape, expected)) {
        throw new ShapeError(`${m.path}.weight has shape ${formatShape(shape)} but the adapter needs ${formatShape(expected)}`, m.path);
      }
    }
    const extras = new Map<string, HostTensor>();
    for (const [key, t] of adapter.extraTensors) {
      const target = baseKeyOfExtra(key);
      if (!where.has(target)) throw new AdapterError(`the adapter carries ${key} but the base has no ${target}`, target);
      extras.set(target, t);
    }
    const pairs = await composeAdapter(adapter, options.backend === undefined ? {} : { backend: options.backend });
    const totalBytes = plans.reduce((s, p) => s + p.reader.size, 0);
    let doneBytes = 0;
    let merged = 0;
    // the largest adapted weight in the pool's memory (merged there in place), anything else in a plain buffer
    let largestWeight = 0;
    for (const p of plans) {
      for (const e of p.reader.header.entries) {
        const module = e.name.endsWith('.weight') ? e.name.slice(0, -'.weight'.length) : undefined;
        if (module !== undefined && pairs.has(module)) largestWeight = Math.max(largestWeight, e.end - e.begin);
      }
    }
    const region = largestWeight > 0 && largestWeight <= pool.maxRegionBytes ? pool.regions(largestWeight)[0] : undefined;
    let scratch: ArrayBuffer | undefined;
    for (const p of plans) {
      const { header } = p.reader;
      const plan = planSafetensors(header.entries, header.metadata);
      const tmp = tempPathFor(p.out);
      const fh = await open(tmp, 'wx').catch((e: unknown) => Promise.reject(writeErrorFor(p.out, e)));
      try {
        await fh.write(plan.header, 0, plan.header.length, 0);
        const byName = new Map(header.entries.map((e) => [e.name, e]));
        for (const slot of plan.layout) {
          const entry = byName.get(slot.name)!;
          const bytes = entry.end - entry.begin;
          const module = slot.name.endsWith('.weight') ? slot.name.slice(0, -'.weight'.length) : undefined;
          const pair = module === undefined ? undefined : pairs.get(module);
          const into = pair !== undefined ? region : undefined;
          // one buffer of the largest other tensor so far, reused: memory stays bounded by the largest tensors
          if (into === undefined && (scratch === undefined || scratch.byteLength < bytes)) scratch = new ArrayBuffer(bytes);
          let t = await p.reader.readTensor(entry, into ?? scratch);
          if (pair !== undefined) {
            t = await mergeTensor(t, pair, adapter, module!, options, pool, into);
            merged += 1;
          } else if (extras.has(slot.name)) {
            const carried = extras.get(slot.name)!;
            t = carried.dtype === t.dtype ? carried : fromF32(toF32(carried), t.dtype as WeightDType);
          }
          const view = new Uint8Array(t.data.buffer, t.data.byteOffset, bytes);
          await fh.write(view, 0, bytes, plan.header.length + slot.begin);
          doneBytes += bytes;
          options.onProgress?.(doneBytes, totalBytes, slot.name);
        }
        await fh.sync();
      } catch (err) {
        await fh.close();
        await rm(tmp, { force: true });
        throw err instanceof Error && 'code' in err ? writeErrorFor(p.out, err) : err;
      }
      await fh.close();
      await rename(tmp, p.out).catch(async (e: unknown) => {
        await rm(tmp, { force: true });
        throw writeErrorFor(p.out, e);
      });
      await syncFolder(dirname(p.out));
      await removeStaleTempFiles(p.out).catch(() => undefined);
    }
    if (files.kind === 'sharded') {
      await writeFileAtomic(join(outPath, SHARD_INDEX_FILE), `${JSON.stringify(files.index, null, 2)}\n`);
    }
    return { shards: plans.map((p) => p.out), mergedModules: merged, bytes: doneBytes, threads: pool.threads };
  } finally {
    await Promise.all(plans.map((p) => p.reader.close()));
    await pool.close();
  }
}
