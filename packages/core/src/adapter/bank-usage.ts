import { topkWeightsForSave } from '../kernels/index.js';
import { toF32 } from '../tensor/index.js';
import type { Factor, VBLoRAAdapter } from './vblora-adapter.js';

/** How often each bank vector is selected, per module (A and B rows together). */
export interface BankUsage {
  readonly numVectors: number;
  /** Module paths, in adapter order. */
  readonly modules: readonly string[];
  /** One count vector `(nv)` per module. */
  readonly counts: readonly Int32Array[];
  /** Counts summed over modules. */
  readonly total: Int32Array;
}

function addSelections(f: Factor, k: number, counts: Int32Array): void {
  const indices = f.kind === 'topk' ? f.indices : topkWeightsForSave({ logits: toF32(f.logits), k }).indices;
  for (let i = 0; i < indices.data.length; i++) {
    const v = Number(indices.data[i]!);
    counts[v] = counts[v]! + 1;
  }
}

/** Counts, for every module, how many of its top-k selections use each bank vector (the playground's heatmap). */
export function bankUsage(adapter: VBLoRAAdapter): BankUsage {
  const nv = adapter.config.num_vectors;
  const k = adapter.config.topk;
  const modules: string[] = [];
  const counts: Int32Array[] = [];
  const total = new Int32Array(nv);
  for (const m of adapter.modules.values()) {
    const c = new Int32Array(nv);
    addSelections(m.a, k, c);
    addSelections(m.b, k, c);
    for (let j = 0; j < nv; j++) total[j] = total[j]! + c[j]!;
    modules.push(m.path);
    counts.push(c);
  }
  return { numVectors: nv, modules, counts, total };
}
