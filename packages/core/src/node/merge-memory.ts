/**
 * The memory a checkpoint merge will hold, worked out from the headers and the adapter before anything of that
 * size is allocated, and checked against the memory budget: a base that declares huge tensors (a sparse file
 * costs no disk) fails at once with a typed error instead of exhausting the machine.
 * @module
 */
import { checkMemoryBudget } from '../accounting/memory-budget.js';
import type { VBLoRAAdapter } from '../adapter/vblora-adapter.js';
import type { HostTensor } from '../tensor/index.js';
import type { BaseCatalog } from './base-catalog.js';

/** The buffers of a merge: the pool region for adapted weights (0 = no pool) and one scratch buffer for the rest. */
export interface MergeMemory {
  readonly regionBytes: number;
  readonly scratchBytes: number;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * Sizes the merge's buffers and checks their sum, with the composed factors, against `budget`. `maxRegionBytes`
 * is the pool's limit (0 when the backend merges by its own kernel, which returns a new weight).
 * @throws {ResourceLimitError} `maxMemory` naming what needs the memory.
 */
export function planMergeMemory(
  adapter: VBLoRAAdapter,
  catalog: BaseCatalog,
  extras: ReadonlyMap<string, HostTensor>,
  maxRegionBytes: number,
  budget: number,
): MergeMemory {
  const r = adapter.config.r;
  let factors = adapter.config.num_vectors * adapter.config.vector_length * 4; // the bank, widened to f32
  let moduleFactors = 0;
  for (const m of adapter.modules.values()) {
    const bytes = (r * m.inFeatures + m.outFeatures * r) * 4; // A (r, in) and B (out, r), f32
    factors += bytes;
    moduleFactors = Math.max(moduleFactors, bytes);
  }
  let adapted = 0;
  let other = 0;
  for (const [name, { entry }] of catalog.tensors) {
    const bytes = entry.end - entry.begin;
    const module = name.endsWith('.weight') ? name.slice(0, -'.weight'.length) : undefined;
    if (module !== undefined && adapter.modules.has(module)) adapted = Math.max(adapted, bytes);
    else if (!extras.has(name)) other = Math.max(other, bytes);
  }
  const pooled = adapted > 0 && adapted <= maxRegionBytes;
  const regionBytes = pooled ? adapted : 0;
  const scratchBytes = pooled ? other : Math.max(other, adapted);
  // in the pool: the factors of one module copied in beside the weight; otherwise the kernel's new weight
  const working = pooled ? 2 * moduleFactors : adapted;
  const total = factors + regionBytes + scratchBytes + working;
  checkMemoryBudget(
    total,
    `merging (composed factors ${mib(factors)}, largest adapted weight ${mib(adapted)}, largest other tensor ${mib(other)})`,
    budget,
  );
  return { regionBytes, scratchBytes };
}
