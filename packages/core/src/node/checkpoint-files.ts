import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CheckpointFormatError } from '../errors.js';

/** Name of the index file of a sharded safetensors checkpoint (transformers' convention). */
export const SHARD_INDEX_FILE = 'model.safetensors.index.json';

/** A base checkpoint: one safetensors file, or a folder of shards with an index. */
export interface CheckpointFiles {
  readonly kind: 'file' | 'sharded';
  /** Absolute shard paths (one for a single file), in index order. */
  readonly shards: readonly string[];
  /** The parsed index of a sharded checkpoint. */
  readonly index?: { metadata?: Record<string, unknown>; weight_map: Record<string, string> };
  /** Folder that holds the shards. */
  readonly folder: string;
}

/**
 * Resolves a base checkpoint path: a `.safetensors` file, a folder with `model.safetensors.index.json` (sharded),
 * a folder with a single `model.safetensors`, or the index file itself.
 */
export async function resolveCheckpointFiles(path: string): Promise<CheckpointFiles> {
  const info = await stat(path);
  let indexPath: string | undefined;
  if (info.isDirectory()) {
    const idx = join(path, SHARD_INDEX_FILE);
    if (await stat(idx).then(() => true, () => false)) indexPath = idx;
    else if (await stat(join(path, 'model.safetensors')).then(() => true, () => false)) {
      return { kind: 'file', shards: [join(path, 'model.safetensors')], folder: path };
    } else {
      throw new CheckpointFormatError(`${path} has neither ${SHARD_INDEX_FILE} nor model.safetensors`, 'checkpoint-layout');
    }
  } else if (basename(path).endsWith('.index.json')) {
    indexPath = path;
  } else {
    return { kind: 'file', shards: [path], folder: dirname(path) };
  }
  let index: CheckpointFiles['index'];
  try {
    index = JSON.parse(await readFile(indexPath, 'utf8')) as CheckpointFiles['index'];
  } catch (err) {
    throw new CheckpointFormatError(`${indexPath} is not valid JSON: ${(err as Error).message}`, 'index-json');
  }
  const map = index?.weight_map;
  if (typeof map !== 'object' || map === null) {
    throw new CheckpointFormatError(`${indexPath} has no "weight_map" object`, 'index-json');
  }
  const folder = dirname(indexPath);
  const shards: string[] = [];
  for (const file of Object.values(map)) {
    if (typeof file !== 'string' || file.includes('/') || file.includes('\\') || file.startsWith('.')) {
      throw new CheckpointFormatError(`${indexPath} maps a tensor to an invalid shard name ${JSON.stringify(file)}`, 'index-json');
    }
    const p = join(folder, file);
    if (!shards.includes(p)) shards.push(p);
  }
  return { kind: 'sharded', shards, index: index!, folder };
}
