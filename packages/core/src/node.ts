/**
 * Node-only helpers of `@vblora/core`: reading and writing PEFT adapter directories, atomic file writes.
 *
 * @example
 * ```ts
 * import { readAdapterDir, writeAdapterDir } from '@vblora/core/node';
 * const { adapter } = await readAdapterDir('./peft-adapter');
 * await writeAdapterDir('./copy', adapter);
 * ```
 * @packageDocumentation
 */
export {
  processAlive,
  removeStaleTempFiles,
  syncFolder,
  TEMP_PREFIX,
  tempPathFor,
  writeErrorFor,
  writeFileAtomic,
} from './node/atomic-write.js';
export { adapterFolder, listAdapterNames, readAdapterDir, readAdapters, writeAdapterDir } from './node/adapter-dir.js';
export { writeLoraDir } from './node/lora-dir.js';
export {
  openSafetensorsFile,
  type OpenSafetensorsFileOptions,
  type SafetensorsFileReader,
} from './node/safetensors-file.js';
export {
  MAX_SHARD_INDEX_BYTES,
  resolveCheckpointFiles,
  SHARD_INDEX_FILE,
  type CheckpointFiles,
  type ShardIndex,
} from './node/checkpoint-files.js';
export { mergeCheckpoint, type MergeCheckpointOptions, type MergeCheckpointResult } from './node/merge-checkpoint.js';
export { isWithin, realPathOf, refuseAliasedOutputs, resolveInside } from './node/safe-paths.js';
export { LOCK_FILE, lockOutputFolder, type OutputLock } from './node/output-lock.js';
export { MAX_WHOLE_FILE_BYTES, openRegularFile, readBoundedFile } from './node/read-bounded.js';
