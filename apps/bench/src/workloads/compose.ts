import { composeAdapter, type Backend, type VBLoRAAdapter } from '@vblora/core';
import type { BenchRow } from '../result.js';
import { fmtTiming, gbps, time } from '../stats.js';

/**
 * Bytes compose must move at least: every output element of A and B written once, and for every row the k bank
 * vectors read (gathered) plus, from full logits, the logits themselves.
 */
function composeBytes(adapter: VBLoRAAdapter): number {
  const vl = adapter.config.vector_length;
  const k = adapter.config.topk;
  const nv = adapter.config.num_vectors;
  let rows = 0;
  let logits = false;
  for (const m of adapter.modules.values()) {
    rows += (m.a.kind === 'logits' ? m.a.logits.data.length / nv : m.a.indices.data.length / k);
    rows += (m.b.kind === 'logits' ? m.b.logits.data.length / nv : m.b.indices.data.length / k);
    logits ||= m.a.kind === 'logits';
  }
  return rows * vl * 4 + rows * k * vl * 4 + (logits ? rows * nv * 4 : rows * k * 8);
}

/** Composes every module of the adapter on `backend`; effective GB/s against the copy bandwidth. */
export async function composeWorkload(
  adapter: VBLoRAAdapter,
  label: string,
  backend: Backend,
  copyGbps: number,
  reps: number,
): Promise<BenchRow> {
  const bytes = composeBytes(adapter);
  const t = await time(() => composeAdapter(adapter, { backend }), reps, 1);
  const g = gbps(bytes, t.medianMs);
  return {
    workload: 'compose',
    case: `${label}, ${adapter.modules.size} modules`,
    backend: backend.name,
    timing: t,
    value: `${g.toFixed(2)} GB/s effective (${fmtTiming(t)})`,
    ratio: g / copyGbps,
    ratioOf: 'of copy bandwidth',
    target: 0.5,
  };
}
