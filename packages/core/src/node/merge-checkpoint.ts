import { rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { VBLoRAAdapter } from '../adapter/vblora-adapter.js';
import { composeAdapter } from '../adapter/compose-adapter.js';
import { checkMergeInputs } from '../adapter/merge-state-dict.js';
import { DEFAULT_MAX_MEMORY_BYTES } from '../accounting/memory-budget.js';
import { referenceBackend, requireKernel, type Backend, type MergePool } from '../backend/index.js';
import { planSafetensors } from '../checkpoint/safetensors-plan.js';
import { ConfigError, ShapeError } from '../errors.js';
import type { LowRankPair, WeightDType } from '../kernels/index.js';
import type { HostTensor } from '../tensor/index.js';
import { makeFolder, writeErrorFor } from './atomic-write.js';
import { openBaseCatalog, type BaseCatalog } from './base-catalog.js';
import { resolveCheckpointFiles, SHARD_INDEX_FILE, type CheckpointFiles } from './checkpoint-files.js';
import { planMergeMemory } from './merge-memory.js';
import { lockOutputFolder, type OutputLock } from './output-lock.js';
import { refuseAliasedOutputs } from './safe-paths.js';
import { checkDestinations, commitStaged, discardStaged, stageFile, type StagedFile } from './staged-files.js';

/** Options of {@link mergeCheckpoint}. */
export interface MergeCheckpointOptions {
  /**
   * Backend for compose and merge; default the reference backend. A backend offering a parallel merge (the cpu
   * backend of `@vblora/cpu` in Node: worker threads) merges each weight in place on every core; any other merges
   * by its `merge` kernel, one weight at a time.
   */
  readonly backend?: Backend;
  /** PEFT's safe_merge: a NumericalError naming the module if a merged weight is not finite. */
  readonly safe?: boolean;
  /** Threads for the backend's parallel merge (default every core; 1 = in-process); ignored without one. */
  readonly threads?: number;
  /** Memory budget for everything the files size (headers, factors, tensor buffers); default `DEFAULT_MAX_MEMORY_BYTES`. */
  readonly maxMemoryBytes?: number;
  /** Other files the merge reads (the adapter's): no output may be one of them. */
  readonly inputFiles?: readonly string[];
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

/** Where the merged files go: one per shard (same names), and the index of a sharded checkpoint. */
function outputsOf(files: CheckpointFiles, outPath: string): { shards: string[]; index?: string } {
  if (files.kind === 'file') return { shards: [outPath] };
  return { shards: files.shardNames.map((n) => join(outPath, n)), index: join(outPath, SHARD_INDEX_FILE) };
}

function budgetOf(options: MergeCheckpointOptions): number {
  const budget = options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
  if (!(budget >= 0))
    throw new ConfigError(`maxMemoryBytes must be a number of bytes ≥ 0, got ${String(budget)}`, 'maxMemoryBytes');
  return budget;
}

/**
 * Merges an adapter into a base checkpoint on disk — a single `.safetensors` file or a sharded folder with
 * `model.safetensors.index.json` — streaming tensor by tensor: memory holds the adapter's factors, the largest
 * adapted weight (merged in place on every core by a backend's parallel merge) and the largest other tensor, never the
 * model, and all of it is checked against the memory budget first. Output keys, order, dtypes and shard names
 * equal the input's.
 *
 * Nothing is written until every input is checked (regular files, one place per tensor, dtypes, shapes, the
 * budget); an output that is one of the inputs is refused before anything is read, and a sharded output folder
 * is locked for the whole write. All shards and the index are written to temporary files first and renamed
 * into place only when all are complete, the index last, so a failed merge leaves the outputs as they were.
 * @example
 * ```ts
 * const { adapter } = await readAdapterDir('./adapter');
 * await mergeCheckpoint(adapter, './base-model', './merged-model');
 * ```
 */
export async function mergeCheckpoint(
  adapter: VBLoRAAdapter,
  basePath: string,
  outPath: string,
  options: MergeCheckpointOptions = {},
): Promise<MergeCheckpointResult> {
  const budget = budgetOf(options);
  const files = await resolveCheckpointFiles(basePath);
  const outs = outputsOf(files, outPath);
  const allOuts = [...outs.shards, ...(outs.index === undefined ? [] : [outs.index])];
  await refuseAliasedOutputs(allOuts, [
    ...files.shards,
    ...(files.indexPath === undefined ? [] : [files.indexPath]),
    ...(options.inputFiles ?? []),
  ]);
  await checkDestinations(allOuts);
  let createdFolder = false;
  let lock: OutputLock | undefined;
  let catalog: BaseCatalog | undefined;
  let ok = false;
  try {
    if (files.kind === 'sharded') {
      createdFolder = !(await stat(outPath).then(
        () => true,
        () => false,
      ));
      await makeFolder(outPath).catch((e: unknown) => Promise.reject(writeErrorFor(outPath, e)));
      lock = await lockOutputFolder(outPath);
    }
    catalog = await openBaseCatalog(files, budget);
    const result = await mergeCatalog(adapter, files, catalog, outs, options, budget);
    ok = true;
    return result;
  } finally {
    await catalog?.close();
    await lock?.release();
    // a folder this merge created and left empty goes too: a failed merge leaves no trace
    if (!ok && createdFolder) await rmdir(outPath).catch(() => undefined);
  }
}

async function mergeCatalog(
  adapter: VBLoRAAdapter,
  files: CheckpointFiles,
  catalog: BaseCatalog,
  outs: { shards: string[]; index?: string },
  options: MergeCheckpointOptions,
  budget: number,
): Promise<MergeCheckpointResult> {
  const info = new Map([...catalog.tensors].map(([name, t]) => [name, t.entry]));
  const extras = checkMergeInputs(adapter, info, (key) => ` (in ${files.shardNames[catalog.tensors.get(key)!.shard]})`);
  const parallel = (options.backend ?? referenceBackend).capabilities?.parallelMerge;
  const memory = planMergeMemory(adapter, catalog, extras, parallel?.maxRegionBytes ?? 0, budget);
  const pool = parallel?.open(options.threads);
  try {
    const pairs = await composeAdapter(adapter, options.backend === undefined ? {} : { backend: options.backend });
    const region = memory.regionBytes > 0 ? pool?.regions(memory.regionBytes)[0] : undefined;
    const scratch = memory.scratchBytes > 0 ? new ArrayBuffer(memory.scratchBytes) : undefined;
    const totalBytes = catalog.readers.reduce((s, r) => s + r.size, 0);
    let doneBytes = 0;
    const merged = new Set<string>();
    const staged: StagedFile[] = [];
    try {
      for (const [shard, reader] of catalog.readers.entries()) {
        const { header } = reader;
        const plan = planSafetensors(header.entries, header.metadata);
        const byName = new Map(header.entries.map((e) => [e.name, e]));
        await stageFile(staged, outs.shards[shard]!, async (write) => {
          await write(plan.header, 0);
          for (const slot of plan.layout) {
            const entry = byName.get(slot.name)!;
            const module = slot.name.endsWith('.weight') ? slot.name.slice(0, -'.weight'.length) : undefined;
            const pair = module === undefined ? undefined : pairs.get(module);
            let t: HostTensor;
            if (pair !== undefined) {
              const into = region !== undefined && entry.end - entry.begin <= region.byteLength ? region : undefined;
              t = await reader.readTensor(entry, into ?? scratch);
              t = await mergeTensor(t, pair, adapter, module!, options, pool, into);
              merged.add(module!);
            } else {
              // a carried tensor replaces the base's bytes, which are then never read
              t = extras.get(slot.name) ?? (await reader.readTensor(entry, scratch));
            }
            const bytes = entry.end - entry.begin;
            if (t.data.byteLength !== bytes)
              throw new ShapeError(`${slot.name}: ${t.data.byteLength} bytes to write in place of ${bytes}`, slot.name);
            await write(new Uint8Array(t.data.buffer, t.data.byteOffset, bytes), plan.header.length + slot.begin);
            doneBytes += bytes;
            options.onProgress?.(doneBytes, totalBytes, slot.name);
          }
        });
      }
      if (outs.index !== undefined) {
        const text = new TextEncoder().encode(`${JSON.stringify(files.index, null, 2)}\n`);
        await stageFile(staged, outs.index, (write) => write(text, 0));
      }
      await commitStaged(staged);
    } catch (err) {
      await discardStaged(staged);
      throw err;
    }
    return { shards: outs.shards, mergedModules: merged.size, bytes: doneBytes, threads: pool?.threads ?? 1 };
  } finally {
    await pool?.close();
  }
}

async function mergeTensor(
  t: HostTensor,
  pair: LowRankPair,
  adapter: VBLoRAAdapter,
  path: string,
  options: MergeCheckpointOptions,
  pool: MergePool | undefined,
  region: Uint8Array | undefined,
): Promise<HostTensor> {
  const fanInFanOut = adapter.config.fan_in_fan_out;
  const safe = options.safe ?? false;
  if (pool === undefined || region === undefined) {
    // no parallel merge; or a weight past the pool's largest region: the backend's own kernel
    const merge = requireKernel(options.backend ?? referenceBackend, 'merge');
    return merge({
      weight: t as HostTensor<WeightDType>,
      A: pair.A,
      B: pair.B,
      fanInFanOut,
      safe,
      adapter: adapter.name,
      module: path,
    });
  }
  // the backend's merge kernel's numbers, by its pool on every core, in place
  const shape: [number, number] = [t.shape[0]!, t.shape[1]!];
  await pool.run({
    dtype: t.dtype as WeightDType,
    shape,
    input: region,
    output: region,
    A: pair.A.data,
    B: pair.B.data,
    fanInFanOut,
    safe,
    adapter: adapter.name,
    module: path,
  });
  return t; // merged in place: t's data is the region
}
