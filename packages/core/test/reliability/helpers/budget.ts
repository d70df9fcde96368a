import { appendFileSync } from 'node:fs';

/**
 * Fuzz budgets and the optional run report. `VBLORA_FUZZ_RUNS` sets the runs of every property in a fuzz file
 * (the default keeps each file to a few seconds on the 2-core CI machine); `scripts/fuzz.mjs` raises it per
 * target and sets `VBLORA_FUZZ_REPORT` to collect what each property saw.
 */
export function fuzzRuns(defaultRuns: number): number {
  const raw = process.env['VBLORA_FUZZ_RUNS'];
  if (raw === undefined || raw === '') return defaultRuns;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`VBLORA_FUZZ_RUNS must be a positive integer, got ${raw}`);
  return n;
}

/** A vitest timeout for `runs` inputs of about `msPerRun` each, never below one minute (slow shared machines). */
export function fuzzTimeout(runs: number, msPerRun: number): number {
  return Math.max(60_000, Math.ceil(runs * msPerRun * 4));
}

/** Counts outcomes of a fuzz property (one input may add several, one per stage) and remembers the slowest. */
export class Outcomes {
  readonly counts = new Map<string, number>();
  slowestMs = 0;

  add(outcome: string, ms = 0): void {
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1);
    if (ms > this.slowestMs) this.slowestMs = ms;
  }

  get(outcome: string): number {
    return this.counts.get(outcome) ?? 0;
  }

  /** Outcomes whose name starts with `prefix`, summed. */
  sum(prefix: string): number {
    let n = 0;
    for (const [k, v] of this.counts) if (k.startsWith(prefix)) n += v;
    return n;
  }
}

/** Appends one line per property to `$VBLORA_FUZZ_REPORT` (JSON lines), so the large run can be written down. */
export function reportFuzz(target: string, seed: number, runs: number, outcomes: Outcomes, wallMs: number): void {
  const path = process.env['VBLORA_FUZZ_REPORT'];
  if (path === undefined || path === '') return;
  const line = {
    target,
    seed,
    runs,
    wallMs: Math.round(wallMs),
    slowestMs: Math.round(outcomes.slowestMs * 10) / 10,
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    outcomes: Object.fromEntries([...outcomes.counts].sort((a, b) => b[1] - a[1])),
  };
  appendFileSync(path, `${JSON.stringify(line)}\n`);
}
