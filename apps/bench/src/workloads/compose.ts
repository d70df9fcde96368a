import { allocatePairs, composeAdapter, type Backend, type VBLoRAAdapter } from '@vblora/core';
import type { BenchRow } from '../result.js';
import { fmtTiming, gbps } from '../stats.js';
import { copiesNote, timeAgainstCopies, type CopyProbes } from './copy-bandwidth.js';

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
    rows += m.a.kind === 'logits' ? m.a.logits.data.length / nv : m.a.indices.data.length / k;
    rows += m.b.kind === 'logits' ? m.b.logits.data.length / nv : m.b.indices.data.length / k;
    logits ||= m.a.kind === 'logits';
  }
  return rows * vl * 4 + rows * k * vl * 4 + (logits ? rows * nv * 4 : rows * k * 8);
}

/** One way of composing a whole adapter, timed by {@link composeWorkload}. */
interface ComposeRun {
  readonly backend: string;
  /** How the results are stored, for the case column. */
  readonly output: string;
  readonly fn: () => Promise<unknown>;
}

async function composeRow(
  adapter: VBLoRAAdapter,
  label: string,
  run: ComposeRun,
  copies: CopyProbes,
  bytes: number,
  reps: number,
): Promise<BenchRow> {
  const m = await timeAgainstCopies(copies, run.fn, reps, 2);
  const t = m.timing;
  const g = gbps(bytes, t.medianMs);
  return {
    workload: 'compose',
    case: `${label}, ${adapter.modules.size} modules, ${run.output}`,
    backend: run.backend,
    timing: t,
    value: `${g.toFixed(2)} GB/s effective (${fmtTiming(t)}); ${copiesNote(g, m)}`,
    ratio: g / m.allGbps,
    ratioOf: 'of all-core copy bandwidth',
    target: 0.5,
  };
}

/**
 * Composes every module of the adapter on `backend` into new arrays (and, on the cpu backend, into reused ones);
 * effective GB/s against the all-core copy bandwidth measured alongside (the one-thread copy's in the value).
 */
export async function composeWorkload(
  adapter: VBLoRAAdapter,
  label: string,
  backend: Backend,
  copies: CopyProbes,
  reps: number,
): Promise<BenchRow[]> {
  const bytes = composeBytes(adapter);
  const runs: ComposeRun[] = [
    { backend: backend.name, output: 'new arrays', fn: () => composeAdapter(adapter, { backend }) },
  ];
  if (backend.name === 'cpu') {
    // switching adapters: the same arrays again (no allocation, no first-touch page faults)
    const into = allocatePairs(adapter, { backend });
    runs.push({
      backend: backend.name,
      output: 'into reused arrays',
      fn: () => composeAdapter(adapter, { backend, into }),
    });
  }
  const rows: BenchRow[] = [];
  for (const run of runs) rows.push(await composeRow(adapter, label, run, copies, bytes, reps));
  return rows;
}
