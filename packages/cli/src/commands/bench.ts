import { UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import type { CliOptions } from '../main.js';

/** The bench app's entry point (apps/bench of the repository; it is not published). */
type BenchMain = (argv: readonly string[]) => Promise<number>;

/** The workspace package holding the benchmarks, present only in the repository clone. */
const BENCH_MODULE = '@vblora/bench';

/**
 * Imports the benchmarks' entry point from `specifier`.
 * @throws {UsageError} when it is not installed (any installation but the repository clone) or not built.
 * @internal
 */
export async function loadBenchMain(specifier: string = BENCH_MODULE): Promise<BenchMain> {
  try {
    return ((await import(specifier)) as { benchMain: BenchMain }).benchMain;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    if (e.message.includes(`'${specifier}'`)) {
      throw new UsageError(
        'bench: the benchmarks run only from the vblora.js repository clone (apps/bench is not published with ' +
          '@vblora/cli); in the clone: npm ci && npm run bench',
      );
    }
    throw new UsageError('bench: apps/bench is not built; run npm run build first (npm run bench builds, then runs)');
  }
}

/** `vblora bench [...]`: hands the raw arguments to apps/bench (see docs/benchmarks.md). */
export async function runBench(args: readonly string[], _options: CliOptions, _io: CliIO): Promise<number> {
  return (await loadBenchMain())(args);
}
