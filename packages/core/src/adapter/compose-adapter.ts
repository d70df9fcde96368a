import { requireKernel, referenceBackend, type Backend, type ComposeAllModule } from '../backend/index.js';
import type { LowRankPair } from '../kernels/index.js';
import { stableBank } from '../kernels/stable-bank.js';
import { formatShape, toF32, type HostTensor } from '../tensor/index.js';
import { AdapterError, ShapeError } from '../errors.js';
import { factorSource } from './factor-source.js';
import { intoPair } from './low-rank-pairs.js';
import type { VBLoRAAdapter } from './vblora-adapter.js';

/** Options of {@link composeAdapter}. */
export interface ComposeAdapterOptions {
  /** Backend whose `composeLowRank` kernel runs (default: the reference backend). */
  readonly backend?: Backend;
  /** Only these module paths (default: all, in file order). */
  readonly modules?: readonly string[];
  /**
   * Compose into these float32 arrays (from {@link allocatePairs} or an earlier call on an adapter of the same
   * shapes) instead of new ones: the returned pairs are `into`'s, overwritten. Saves allocating — and, for large
   * adapters, first-touching — tens of MB per call when adapters are switched often. With a backend that offers
   * the `composeAll` capability (the cpu backend, pairs from `allocatePairs(adapter, { backend })`), every module
   * is composed in one call to it (same bits).
   */
  readonly into?: ReadonlyMap<string, LowRankPair>;
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
  const vl = adapter.config.vector_length;
  if (options.into !== undefined && (await composeAllAtOnce(adapter, backend, paths, options.into, bank, k))) {
    const done = new Map<string, LowRankPair>();
    for (const path of paths) {
      done.set(path, options.into.get(path)!);
      options.onProgress?.(done.size, paths.length, path);
    }
    return done;
  }
  const out = new Map<string, LowRankPair>();
  for (const path of paths) {
    const m = adapter.modules.get(path);
    if (m === undefined) throw new AdapterError(`adapter "${adapter.name}" has no module ${path}`, path);
    const target = options.into === undefined ? undefined : intoPair(options.into, m, vl);
    const pair = await compose({
      logitsA: await factorSource(m.a, k, backend),
      logitsB: await factorSource(m.b, k, backend),
      bank,
      k,
      ...(target === undefined ? {} : { out: target }),
    });
    out.set(path, target === undefined ? pair : copyInto(pair, target));
    options.onProgress?.(out.size, paths.length, path);
  }
  return out;
}

/**
 * Every module composed into `into` by the backend's `composeAll` capability in one call, when it has one: true
 * when done; false (nothing promised about `into`) when it has none, a module or pair does not check out (the
 * per-module path then throws its own error) or the backend declined.
 */
async function composeAllAtOnce(
  adapter: VBLoRAAdapter,
  backend: Backend,
  paths: readonly string[],
  into: ReadonlyMap<string, LowRankPair>,
  bank: HostTensor<'f32'>,
  k: number,
): Promise<boolean> {
  const all = backend.capabilities?.composeAll;
  if (all === undefined) return false;
  const vl = adapter.config.vector_length;
  const modules: ComposeAllModule[] = [];
  for (const path of paths) {
    const m = adapter.modules.get(path);
    if (m === undefined || !into.has(path)) return false;
    try {
      modules.push({ path, a: m.a, b: m.b, out: intoPair(into, m, vl) });
    } catch {
      return false;
    }
  }
  return all.run(modules, bank, k);
}

/** `target` holding `pair`'s values (a kernel that did not honour `out` returned new tensors). */
function copyInto(pair: LowRankPair, target: LowRankPair): LowRankPair {
  for (const key of ['A', 'B'] as const) {
    if (pair[key].data.length !== target[key].data.length) {
      throw new ShapeError(
        `composeLowRank returned ${key} ${formatShape(pair[key].shape)}, expected ${formatShape(target[key].shape)}`,
        key,
      );
    }
  }
  if (pair.A.data !== target.A.data) target.A.data.set(pair.A.data);
  if (pair.B.data !== target.B.data) target.B.data.set(pair.B.data);
  return target;
}
