/**
 * Adding a PEFT adapter folder to an `AdapterStore` (Node).
 * @module
 */
import { DEFAULT_MAX_MEMORY_BYTES } from '@vblora/core';
import { readAdapterDir } from '@vblora/core/node';
import type { AdapterStore } from './adapter-store.js';

/** Options of {@link addAdapterDir}. */
export interface AddAdapterDirOptions {
  /** The adapter's name in the folder (PEFT's sub-folder for a non-default one; default `default`). */
  readonly name?: string;
  /** Memory budget for reading the weights file, read whole (default `DEFAULT_MAX_MEMORY_BYTES`, 4 GiB). */
  readonly maxMemoryBytes?: number;
}

/**
 * Reads a PEFT adapter folder (bounded reads: the weights file is checked against `maxMemoryBytes` before it is
 * read) and stores it under `id`; returns the reader's warnings.
 * @example
 * ```ts
 * await addAdapterDir(store, 'user-1', './adapters/user-1');
 * ```
 * @throws {ResourceLimitError} for a file over `maxMemoryBytes` or an adapter over the store's `maxStoredBytes`.
 * @throws {AdapterError} for a folder that holds no PEFT adapter, or one that does not fit the model.
 */
export async function addAdapterDir(
  store: AdapterStore,
  id: string,
  dir: string,
  options: AddAdapterDirOptions = {},
): Promise<readonly string[]> {
  const { adapter, warnings } = await readAdapterDir(dir, options.name ?? 'default', {
    maxMemoryBytes: options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES,
  });
  store.add(id, adapter);
  return warnings;
}
