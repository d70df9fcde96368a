/**
 * Adapters derived from the golden ones for the tests: fewer ranks, no extra tensors.
 */
import { tensor, toF32, type AdapterModule, type HostTensor, type VBLoRAAdapter } from '@vblora/core';

/** Keeps the first `r` ranks of every module (A logits (r, in_t, nv), B logits (out_t, r, nv)). */
export function truncateRank(adapter: VBLoRAAdapter, r: number): VBLoRAAdapter {
  const modules = new Map<string, AdapterModule>();
  for (const m of adapter.modules.values()) {
    if (m.a.kind !== 'logits' || m.b.kind !== 'logits') throw new Error('truncateRank needs a full-logits adapter');
    const a = toF32(m.a.logits);
    const b = toF32(m.b.logits);
    const [, inT, nv] = a.shape as [number, number, number];
    const [outT, rOld] = b.shape as [number, number, number];
    const sliceB = new Float32Array(outT * r * nv);
    for (let t = 0; t < outT; t++) sliceB.set(b.data.subarray(t * rOld * nv, (t * rOld + r) * nv), t * r * nv);
    modules.set(m.path, {
      ...m,
      a: { kind: 'logits', logits: tensor('f32', [r, inT, nv], a.data.slice(0, r * inT * nv)) },
      b: { kind: 'logits', logits: tensor('f32', [outT, r, nv], sliceB) as HostTensor<'f32'> },
    });
  }
  return { ...adapter, config: { ...adapter.config, r }, modules };
}

/** The adapter without its trained biases / modules_to_save copies. */
export function withoutExtras(adapter: VBLoRAAdapter): VBLoRAAdapter {
  return { ...adapter, extraTensors: new Map() };
}
