import { requireKernel, referenceBackend, type Backend } from '../backend/index.js';
import type { LowRankPair } from '../kernels/index.js';
import { stableBank } from '../kernels/stable-bank.js';
import { toF32 } from '../tensor/index.js';
import { AdapterError } from '../errors.js';
import { factorSource } from './factor-source.js';
import type { VBLoRAAdapter } from './vblora-adapter.js';

/** Options of {@link composeAdapter}. */
export interface ComposeAdapterOptions {
  /** Backend whose `composeLowRank` kernel runs (default: the reference backend). */
  readonly backend?: Backend;
  /** Only these module paths (default: all, in file order). */
  readonly modules?: readonly string[];
  /** Called after each module with the number done and the total. */
  readonly onProgress?: (done: number, total: number, module: string) => void;
}

/**
 * Composes the float32 A `(r, in)` and B `(out, r)` of every module of an adapter, as PEFT's
 * `_get_lora_matrices` does, from logits or from a top-k checkpoint.
 *
 * @example
 * ```ts
 * const pairs = await composeAdapter(adapter);
 * const { A, B } = pairs.get('model.layers.0.self_attn.q_proj')!;
 * ```
 */
export async function composeAdapter(
  adapter: VBLoRAAdapter,
  options: ComposeAdapterOptions = {},
): Promise<Map<string, LowRankPair>> {
  const backend = options.backend ?? referenceBackend;
  const compose = requireKernel(backend, 'composeLowRank');
  // one wrapper for every module of this call: a backend may copy the bank once instead of once per module
  const bank = stableBank(toF32(adapter.bank));
  const k = adapter.config.topk;
  const paths = options.modules ?? [...adapter.modules.keys()];
  const out = new Map<string, LowRankPair>();
  for (const path of paths) {
    const m = adapter.modules.get(path);
    if (m === undefined) throw new AdapterError(`adapter "${adapter.name}" has no module ${path}`, path);
    out.set(path, await compose({ logitsA: factorSource(m.a, k), logitsB: factorSource(m.b, k), bank, k }));
    options.onProgress?.(out.size, paths.length, path);
  }
  return out;
}
