import { UnsupportedError } from '@vblora/core';
import type { CliIO } from '../io.js';
import type { CliOptions } from '../main.js';

/** The bench app's entry point (it lives in the repository's apps/bench, not in the published CLI). */
type BenchMain = (argv: readonly string[]) => Promise<number>;

/** `vblora bench [...]`: hands the raw arguments to apps/bench (see docs/benchmarks.md). */
export async function runBench(_args: readonly string[], _options: CliOptions, _io: CliIO, rawArgs: readonly string[] = []): Promise<number> {
  let benchMain: BenchMain;
  try {
    const name = '@vblora/bench';
    ({ benchMain } = (await import(name)) as { benchMain: BenchMain });
  } catch {
    throw new UnsupportedError('vblora bench needs the apps/bench workspace of the vblora.js repository (run it from a checkout)');
  }
  return benchMain(rawArgs);
}
