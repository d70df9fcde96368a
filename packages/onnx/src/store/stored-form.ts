/**
 * The form an `AdapterStore` keeps adapters in: PEFT's top-k form (k indices and k − 1 weights per row), the
 * smallest one that composes exactly as PEFT reloads it, and its size in bytes.
 * @module
 */
import { toTopkAdapter, type HostTensor, type VBLoRAAdapter } from '@vblora/core';

/**
 * `adapter` in top-k form: as it is when every factor is top-k already, otherwise converted once (as PEFT saves
 * with `save_only_topk_weights`: the composed factors are what PEFT computes from that file).
 */
export function storedForm(adapter: VBLoRAAdapter): VBLoRAAdapter {
  for (const m of adapter.modules.values()) {
    if (m.a.kind !== 'topk' || m.b.kind !== 'topk') return toTopkAdapter(adapter).adapter;
  }
  return adapter;
}

const bytesOf = (t: HostTensor): number => t.data.byteLength;

/** Bytes of an adapter's tensors: bank, each factor's indices and weights (or logits), extra tensors. */
export function adapterBytes(adapter: VBLoRAAdapter): number {
  let n = bytesOf(adapter.bank);
  for (const m of adapter.modules.values()) {
    for (const f of [m.a, m.b]) n += f.kind === 'topk' ? bytesOf(f.indices) + bytesOf(f.weights) : bytesOf(f.logits);
  }
  for (const t of adapter.extraTensors.values()) n += bytesOf(t);
  return n;
}
