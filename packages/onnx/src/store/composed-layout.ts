/**
 * What the composed factors of an adapter look like, so that a freed entry's arrays can be handed to the next
 * adapter of the same look, and how many bytes composing one takes, computed before anything is allocated.
 * @module
 */
import { pairShapes, type VBLoRAAdapter } from '@vblora/core';
import type { HotSwapInjectionInfo } from '../inject/injection-info.js';

/**
 * A key equal for two adapters exactly when core's `allocatePairs` lays their pairs out alike (same modules, same
 * A/B shapes) and composing either in place needs the same scratch (same bank size and k): the adapters of one
 * injected model, trained with one config, all share it — so in a store of per-user adapters every freed entry's
 * arrays fit the next compose.
 */
export function layoutKey(adapter: VBLoRAAdapter): string {
  const c = adapter.config;
  const parts = [`${c.num_vectors}x${c.vector_length}k${c.topk}`];
  for (const m of adapter.modules.values()) {
    const { A, B } = pairShapes(m, c.vector_length);
    parts.push(`${m.path}:${A.join('x')}:${B.join('x')}`);
  }
  return parts.join('|');
}

/**
 * Bytes a compose of `adapter` (top-k form) for `info` keeps at least, computed before anything is allocated.
 * `topk` models: the reloaded int32 indices and float32 weights of every factor, and the bank. `lowrank` models:
 * the float32 pairs; a backend that offers pairs storage (the cpu backend: a WebAssembly memory with its scratch
 * after the pairs) may give a larger buffer, and the entry is then charged that buffer's real size.
 */
export function composedBytes(info: HotSwapInjectionInfo, adapter: VBLoRAAdapter): number {
  const { num_vectors: nv, vector_length: vl, topk: k } = adapter.config;
  let pairs = 0;
  let topkFloats = 0;
  for (const m of adapter.modules.values()) {
    const { A, B } = pairShapes(m, vl);
    pairs += 4 * (A[0] * A[1] + B[0] * B[1]);
    topkFloats += 2 * ((A[0] * A[1]) / vl + (B[0] * B[1]) / vl) * k;
  }
  return info.variant === 'topk' ? topkFloats * 4 + nv * vl * 4 : pairs;
}
