/**
 * What the composed factors of an adapter look like, so that a freed entry's arrays can be handed to the next
 * adapter of the same look, and how many bytes composing one takes, computed before anything is allocated.
 * @module
 */
import { pairShapes, type VBLoRAAdapter } from '@vblora/core';
import type { HotSwapInjectionInfo } from '../inject/injection-info.js';

const PAGE = 65536;

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
 * Bytes a compose of `adapter` for `info` keeps: for `lowrank`, the float32 pairs plus the bank-sized scratch that
 * the cpu backend composes in place with (rounded up to whole WebAssembly pages: an estimate, the entry is
 * charged its buffer's real size once allocated); for `topk`, the reloaded int32 indices and float32 weights of
 * every factor and the bank.
 */
export function composedBytes(info: HotSwapInjectionInfo, adapter: VBLoRAAdapter): number {
  const c = adapter.config;
  const bank = c.num_vectors * c.vector_length * 4;
  let floats = 0;
  for (const m of adapter.modules.values()) {
    if (info.variant === 'lowrank') {
      const { A, B } = pairShapes(m, c.vector_length);
      floats += A[0] * A[1] + B[0] * B[1];
    } else {
      for (const f of [m.a, m.b]) {
        const lead = (f.kind === 'topk' ? f.indices.shape : f.logits.shape).slice(0, 2);
        floats += 2 * (lead[0] ?? 1) * (lead[1] ?? 1) * c.topk;
      }
    }
  }
  if (info.variant === 'topk') return floats * 4 + bank;
  return Math.ceil((floats * 4 + bank) / PAGE) * PAGE + PAGE;
}
