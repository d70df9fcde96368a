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
export { TEMP_PREFIX, tempPathFor, writeErrorFor, writeFileAtomic } from './node/atomic-write.js';
export { adapterFolder, listAdapterNames, readAdapterDir, readAdapters, writeAdapterDir } from './node/adapter-dir.js';
