import type { BenchRow } from '../result.js';
import { fmtTiming, gbps, time } from '../stats.js';

/**
 * The copy of the headline measurement, to time alongside a workload (alternating repetitions, see `timePaired`):
 * the workload's ratio is then against the copy bandwidth of the same minutes — this VM's speed drifts by up to
 * 2× between minutes, which a single measurement at the start cannot follow.
 */
export interface CopyProbe {
  /** Bytes copied per run (read and written once each). */
  readonly bytes: number;
  readonly run: () => void;
}

/** GB/s of a copy probe's median time (bytes read plus bytes written). */
export function probeGbps(probe: CopyProbe, medianMs: number): number {
  return gbps(2 * probe.bytes, medianMs);
}

/**
 * The memory-bound limit of this machine: a plain typed-array copy (`dst.set(src)`), counted as bytes read plus
 * bytes written — the same accounting used for merge and compose.
 */
export async function copyBandwidth(
  bytes: number,
  reps: number,
): Promise<{ row: BenchRow; gbps: number; probe: CopyProbe }> {
  const src = new Uint8Array(bytes).fill(1);
  const dst = new Uint8Array(bytes);
  const probe: CopyProbe = { bytes, run: () => dst.set(src) };
  const t = await time(probe.run, reps, 2);
  const g = gbps(2 * bytes, t.medianMs);
  return {
    gbps: g,
    probe,
    row: {
      workload: 'copy',
      case: `${(bytes / 2 ** 20).toFixed(0)} MiB typed-array copy (read + write)`,
      backend: 'node',
      timing: t,
      value: `${g.toFixed(2)} GB/s`,
      note: fmtTiming(t),
    },
  };
}
