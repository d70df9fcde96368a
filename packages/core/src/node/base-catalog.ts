/**
 * The tensors of a base checkpoint across its shards, each in exactly one place: a name in two shards, or an
 * index that disagrees with what the shards hold, is refused before anything is merged (either would make the
 * merge touch one weight twice or read the wrong copy).
 * @module
 */
import { checkMemoryBudget } from '../accounting/memory-budget.js';
import type { SafetensorsLayoutEntry } from '../checkpoint/safetensors-types.js';
import { CheckpointFormatError } from '../errors.js';
import { SHARD_INDEX_FILE, type CheckpointFiles } from './checkpoint-files.js';
import { openSafetensorsFile, type SafetensorsFileReader } from './safetensors-file.js';

/** Where one base tensor lies: its header entry and the index of its shard. */
export interface BaseTensor {
  readonly entry: SafetensorsLayoutEntry;
  readonly shard: number;
}

/** Every shard opened (headers read), and every tensor name mapped to the one shard that holds it. */
export interface BaseCatalog {
  readonly readers: readonly SafetensorsFileReader[];
  readonly tensors: ReadonlyMap<string, BaseTensor>;
  /** Closes every shard. */
  close(): Promise<void>;
}

/**
 * Opens every shard of `files` (regular files only, headers within the memory budget together) and checks that
 * each tensor is in exactly one shard and, for a sharded checkpoint, in the shard the index names.
 * @throws {CheckpointFormatError} `duplicate-tensor` or `index-mismatch` naming the tensor and both shards.
 */
export async function openBaseCatalog(files: CheckpointFiles, maxMemoryBytes: number): Promise<BaseCatalog> {
  const readers: SafetensorsFileReader[] = [];
  const close = () => Promise.all(readers.map((r) => r.close())).then(() => undefined);
  try {
    let headerBytes = 0;
    const tensors = new Map<string, BaseTensor>();
    const name = (shard: number) => files.shardNames[shard]!;
    for (const [shard, path] of files.shards.entries()) {
      const reader = await openSafetensorsFile(path, { maxMemoryBytes });
      readers.push(reader);
      headerBytes += reader.header.dataStart;
      checkMemoryBudget(headerBytes, `the headers of ${readers.length} shards`, maxMemoryBytes);
      for (const entry of reader.header.entries) {
        const seen = tensors.get(entry.name);
        if (seen !== undefined) {
          throw new CheckpointFormatError(
            `tensor ${JSON.stringify(entry.name)} is in both ${name(seen.shard)} and ${name(shard)}; each tensor must be in exactly one shard`,
            'duplicate-tensor',
            entry.name,
          );
        }
        const mapped = files.weightMap?.get(entry.name);
        if (files.weightMap !== undefined && mapped !== name(shard)) {
          const says = mapped === undefined ? 'does not list it' : `maps it to ${mapped}`;
          throw new CheckpointFormatError(
            `tensor ${JSON.stringify(entry.name)} is in ${name(shard)} but ${SHARD_INDEX_FILE} ${says}`,
            'index-mismatch',
            entry.name,
          );
        }
        tensors.set(entry.name, { entry, shard });
      }
    }
    for (const [tensor, file] of files.weightMap ?? []) {
      if (!tensors.has(tensor)) {
        throw new CheckpointFormatError(
          `${SHARD_INDEX_FILE} maps tensor ${JSON.stringify(tensor)} to ${file}, but ${file} has no such tensor`,
          'index-mismatch',
          tensor,
        );
      }
    }
    return { readers, tensors, close };
  } catch (err) {
    await close();
    throw err;
  }
}
