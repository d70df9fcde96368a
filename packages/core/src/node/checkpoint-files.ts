import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AdapterError, CheckpointFormatError } from '../errors.js';
import { readBoundedFile } from './read-bounded.js';
import { resolveInside } from './safe-paths.js';

/** Name of the index file of a sharded safetensors checkpoint (transformers' convention). */
export const SHARD_INDEX_FILE = 'model.safetensors.index.json';

/**
 * Largest accepted shard index: 64 MiB. Real indexes are small (a 405B model's lists about 1,000 tensors in
 * about 100 KB); the cap only stops a device or a huge file from being read whole.
 */
export const MAX_SHARD_INDEX_BYTES = 64 * 2 ** 20;

/** The parsed index of a sharded checkpoint, written back unchanged beside merged shards. */
export interface ShardIndex {
  metadata?: Record<string, unknown>;
  weight_map: Record<string, string>;
}

/** A base checkpoint: one safetensors file, or a folder of shards with an index. */
export interface CheckpointFiles {
  readonly kind: 'file' | 'sharded';
  /** Absolute shard paths (one for a single file), in index order; links inside the folder are followed. */
  readonly shards: readonly string[];
  /** File name of each shard as the index names it (the names a merged folder keeps). */
  readonly shardNames: readonly string[];
  /** The parsed index of a sharded checkpoint. */
  readonly index?: ShardIndex;
  /** Path of the index file of a sharded checkpoint. */
  readonly indexPath?: string;
  /** The index's tensor → shard-name map, safe to look names up in (`constructor`, `__proto__`). */
  readonly weightMap?: ReadonlyMap<string, string>;
  /** Folder that holds the shards. */
  readonly folder: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

async function statOrThrow(path: string) {
  return stat(path).catch((cause: unknown) => {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'error';
    throw new AdapterError(
      `cannot read the base checkpoint ${path} (${code}): ${(cause as Error).message}`,
      undefined,
      { cause },
    );
  });
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/**
 * Resolves a base checkpoint path: a `.safetensors` file, a folder with `model.safetensors.index.json` (sharded),
 * a folder with a single `model.safetensors`, or the index file itself. The index is read through the bounded
 * reader (a regular file of at most {@link MAX_SHARD_INDEX_BYTES}), and every shard it names must stay inside
 * its folder once links are followed.
 * @throws {CheckpointFormatError} for a bad index; `PathError` `outside-folder` for a shard outside the
 * folder; AdapterError when the path cannot be read or is not a regular file; ResourceLimitError past the cap.
 */
export async function resolveCheckpointFiles(path: string): Promise<CheckpointFiles> {
  const info = await statOrThrow(path);
  let indexPath: string;
  if (info.isDirectory()) {
    const single = join(path, 'model.safetensors');
    if (await exists(join(path, SHARD_INDEX_FILE))) indexPath = join(path, SHARD_INDEX_FILE);
    else if (await exists(single))
      return { kind: 'file', shards: [single], shardNames: [basename(single)], folder: path };
    else
      throw new CheckpointFormatError(
        `${path} has neither ${SHARD_INDEX_FILE} nor model.safetensors`,
        'checkpoint-layout',
      );
  } else if (basename(path).endsWith('.index.json')) {
    indexPath = path;
  } else {
    return { kind: 'file', shards: [path], shardNames: [basename(path)], folder: dirname(path) };
  }
  const bytes = await readBoundedFile(indexPath, MAX_SHARD_INDEX_BYTES, 'maxShardIndexBytes');
  let index: unknown;
  try {
    index = JSON.parse(utf8.decode(bytes));
  } catch (err) {
    throw new CheckpointFormatError(
      `${indexPath} is not valid JSON: ${(err as Error).message}`,
      'index-json',
      undefined,
      { cause: err },
    );
  }
  const map = isRecord(index) ? index['weight_map'] : undefined;
  if (!isRecord(map)) throw new CheckpointFormatError(`${indexPath} has no "weight_map" object`, 'index-json');
  const folder = dirname(indexPath);
  const weightMap = new Map<string, string>();
  const shardNames: string[] = [];
  const shards: string[] = [];
  const seen = new Set<string>();
  for (const [tensor, file] of Object.entries(map)) {
    if (typeof file !== 'string' || file === '' || /[/\\\0]/.test(file) || file.startsWith('.')) {
      throw new CheckpointFormatError(
        `${indexPath} maps ${JSON.stringify(tensor)} to ${JSON.stringify(file)}; a shard must be a plain file name in ${folder}`,
        'index-json',
        tensor,
      );
    }
    weightMap.set(tensor, file);
    if (seen.has(file)) continue;
    seen.add(file);
    shardNames.push(file);
    shards.push(await resolveInside(folder, file, `shard ${file} of ${indexPath}`));
  }
  return { kind: 'sharded', shards, shardNames, index: index as unknown as ShardIndex, indexPath, weightMap, folder };
}
