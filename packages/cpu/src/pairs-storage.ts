/**
 * The cpu backend's pairs storage (`allocatePairs(adapter, { backend })`): the pairs at the start of a WebAssembly
 * memory and, after them, scratch enough for the compose kernel to compose any of the adapter's layers into them
 * in place (no copy out of its own memory), or for `composeAll` to compose all of them in one call.
 * @module
 */
import { ResourceLimitError, type PairsLayer, type PairsStorage } from '@vblora/core';
import { composeAllScratchBytes } from './compose-all.js';
import { composeScratchBytes } from './cpu-compose.js';
import { registerPairsMemory } from './pairs-memory.js';

const PAGE = 65536;
const MAX_PAGES = 65536; // a wasm32 memory ends at 4 GiB

/**
 * A buffer of `bytes` for the pairs that is the buffer of a WebAssembly memory with scratch after them (registered
 * for the kernels); undefined (core's plain arrays) without WebAssembly or when a private total does not fit a
 * wasm32 memory.
 */
function allocate(bytes: number, layers: readonly PairsLayer[], shared: boolean): ArrayBufferLike | undefined {
  if (typeof WebAssembly !== 'object') return undefined; // plain arrays: still correct
  const perModule = layers.reduce((most, l) => Math.max(most, composeScratchBytes(l)), 0);
  const scratch = Math.max(perModule, composeAllScratchBytes(layers));
  const scratchStart = Math.ceil(bytes / 16) * 16;
  const pages = Math.max(1, Math.ceil((scratchStart + scratch) / PAGE));
  if (pages > MAX_PAGES) {
    if (!shared) return undefined;
    throw new ResourceLimitError(
      `allocatePairs: ${(bytes / 2 ** 20).toFixed(1)} MiB of pairs do not fit a shared WebAssembly memory (4 GiB)`,
      'wasm-memory',
    );
  }
  // never grown: growing a private memory would detach the buffer the pairs are views of
  const memory = shared
    ? new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true })
    : new WebAssembly.Memory({ initial: pages });
  const buffer = memory.buffer;
  registerPairsMemory(buffer, { memory, scratchStart, scratchBytes: pages * PAGE - scratchStart });
  return buffer;
}

/** The cpu backend's {@link PairsStorage}. @internal */
export const CPU_PAIRS_STORAGE: PairsStorage = { allocate };
