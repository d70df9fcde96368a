/**
 * How fast the command answers: `vblora inspect <adapter>` run as a new process, against a Node process that does
 * nothing (the floor every command pays), alternately. The target is the "well under half a second".
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tinyLlamaPath } from '@vblora/conformance/fixtures';
import type { BenchRow } from '../result.js';
import { fmtTiming, timePaired } from '../stats.js';

const BUDGET_MS = 500;

/** The clone's built CLI (`packages/cli/dist/bin.js`), found from this file upwards; null when absent. */
function cliEntry(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const bin = join(dir, 'packages', 'cli', 'dist', 'bin.js');
    if (existsSync(bin)) return bin;
    dir = dirname(dir);
  }
  return null;
}

function run(args: readonly string[]): void {
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.split('\n')[0]}`);
}

/** One row, or none when the CLI is not built. */
export async function cliStartupWorkload(reps: number): Promise<BenchRow[]> {
  const bin = cliEntry();
  if (bin === null) return [];
  const adapter = tinyLlamaPath('adapters', 'vblora-b');
  const [floor, inspect] = await timePaired(
    () => run(['-e', '0']),
    () => run([bin, 'inspect', adapter]),
    reps,
    1,
  );
  return [
    {
      workload: 'cli startup',
      case: '`vblora inspect <adapter>` as a new process (tiny Llama adapter vblora-b)',
      backend: 'node',
      timing: inspect,
      value: `${fmtTiming(inspect)}; node doing nothing ${fmtTiming(floor)}`,
      ratio: inspect.medianMs / BUDGET_MS,
      ratioOf: '× the 0.5 s budget',
      target: 1,
    },
  ];
}
