import type { BenchRow } from '../result.js';
import { fmtTiming, gbps, time } from '../stats.js';

/**
 * The memory-bound limit of this machine: a plain typed-array copy (`dst.set(src)`), counted as bytes read plus
 * bytes written — the same accounting used for merge and compose.
 */
export async function copyBandwidth(bytes: number, reps: number): Promise<{ row: BenchRow; gbps: number }> {
  const src = new Uint8Array(bytes).fill(1);
  const dst = new Uint8Array(bytes);
  const t = await time(() => dst.set(src), reps, 2);
  const g = gbps(2 * bytes, t.medianMs);
  return {
    gbps: g,
    row: { workload: 'copy', case: `${(bytes / 2 ** 20).toFixed(0)} MiB typed-array copy (read + write)`, backend: 'node', timing: t, value: `${g.toFixed(2)} GB/s`, note: fmtTiming(t) },
  };
}
