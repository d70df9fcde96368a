import { spawnSync } from 'node:child_process';

/** The CPython interpreter used as an oracle, or undefined when this machine has none (tests then skip). */
export const PYTHON: string | undefined = (() => {
  for (const exe of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(exe, ['-c', 'import json, struct, sys; print(sys.version_info[0])'], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() === '3') return exe;
  }
  return undefined;
})();

/** Runs a Python script with `input` on stdin and returns its stdout; throws with stderr if it fails. */
export function runPython(script: string, input: string): string {
  if (PYTHON === undefined) throw new Error('no python3 on this machine');
  const r = spawnSync(PYTHON, ['-c', script], { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return r.stdout;
}
