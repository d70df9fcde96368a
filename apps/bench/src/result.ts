import type { Timing } from './stats.js';

/** One measured row of a workload. */
export interface BenchRow {
  /** Workload id, e.g. `compose`. */
  readonly workload: string;
  /** What was measured, e.g. `from top-k, 224 modules`. */
  readonly case: string;
  readonly backend: string;
  readonly timing?: Timing;
  /** Headline figure, e.g. `12.3 GB/s`. */
  readonly value: string;
  /** Ratio against the baseline of the same run (e.g. fraction of copy bandwidth), when there is one. */
  readonly ratio?: number;
  /** What the ratio is against and the target, e.g. `of copy bandwidth (target ≥ 0.5)`. */
  readonly ratioOf?: string;
  readonly target?: number;
  readonly note?: string;
}

/** A whole benchmark run. */
export interface BenchReport {
  readonly command: string;
  readonly quick: boolean;
  readonly machine: Readonly<Record<string, string>>;
  readonly rows: readonly BenchRow[];
  /** Backend packages' own benchmark scripts, run in the same invocation (full runs only). */
  readonly packageScripts?: readonly { readonly title: string; readonly command: string; readonly output: string }[];
}
