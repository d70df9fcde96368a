/**
 * Brings the publishable packages' dist/ up to date before a packaging check reads or packs it: only packages whose
 * dist/ is missing, older than src/, or holds output of a deleted source are built. Packaging test files running at
 * the same time take turns through a lock folder, so two builds never empty one dist/ under each other.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { distIsCurrent, ROOT, run, type PublishedPackage } from './workspace.js';

/** The lock folder (under node_modules/, which git ignores). */
const LOCK = join(ROOT, 'node_modules', '.cache', 'vblora-packaging-build.lock');
/** A lock older than this was left by a process that died: a build never takes this long. */
const STALE_LOCK_MS = 15 * 60_000;

/** Packages whose dist/ is missing, older than src/, or holds output of a source that is gone. */
export async function stalePackages(
  pkgs: readonly PublishedPackage[],
): Promise<{ readonly name: string; readonly why: string }[]> {
  const runs = await Promise.all(pkgs.map(distIsCurrent));
  return pkgs.flatMap((pkg, i) => (runs[i]!.status === 0 ? [] : [{ name: pkg.name, why: runs[i]!.output }]));
}

async function withLock<T>(body: () => Promise<T>): Promise<T> {
  mkdirSync(join(LOCK, '..'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
      else await sleep(500);
    }
  }
  try {
    return await body();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/**
 * Builds the stale packages (turbo, `--force`) and returns what is still wrong, one entry per problem: the failed
 * build's output, or each package still stale. Empty when every dist/ is current.
 */
export async function buildStalePackages(pkgs: readonly PublishedPackage[]): Promise<string[]> {
  if ((await stalePackages(pkgs)).length === 0) return [];
  return withLock(async () => {
    // another test file may have built them while this one waited for the lock
    const stale = await stalePackages(pkgs);
    if (stale.length === 0) return [];
    // --force: a cache entry from before builds began with an empty dist/ may hold output of sources since renamed.
    const filters = stale.map((p) => `--filter=${p.name}`);
    const build = await run(
      'npx',
      ['turbo', 'run', 'build', ...filters, '--force', '--output-logs=errors-only'],
      ROOT,
      {
        TURBO_TELEMETRY_DISABLED: '1',
      },
    );
    if (build.status !== 0) return [`turbo run build exited with ${build.status}:\n${build.output}`];
    return (await stalePackages(pkgs)).map((p) => `${p.name}: ${p.why}`);
  });
}
