/**
 * `@vblora/bench` (private): side-by-side benchmarks of vblora.js backends against this machine's copy bandwidth.
 * @example
 * ```ts
 * import { runBench, reportMarkdown } from '@vblora/bench';
 * process.stdout.write(reportMarkdown(await runBench({ quick: true })));
 * ```
 * @packageDocumentation
 */
export { runBench, type BenchOptions } from './run-bench.js';
export { reportMarkdown } from './report.js';
export { benchMain } from './cli.js';
export { BENCH_BACKENDS, loadBackends } from './backends.js';
export { choosingABackendMarkdown, conformanceReports } from './matrix.js';
export type { BenchReport, BenchRow } from './result.js';
export type { Timing } from './stats.js';
