import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

/** uid and gid of `nobody`, the user a permission test runs its writer as when the tests run as root. */
export const NOBODY = 65534;

/** True when every folder above `path` lets other users through (mode o+x) and `path` itself has `bits` for them. */
function othersCan(path: string, bits: number): boolean {
  const p = resolve(path);
  if ((statSync(p).mode & bits) !== bits) return false;
  for (let dir = dirname(p); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dirname(dir) === dir) return true;
  }
}

/**
 * A fresh folder `nobody` can reach, for everything an unprivileged child touches: its script, the code it runs
 * and its target. Not inside the clone: a clone under a 0700 folder (e.g. /root) is out of `nobody`'s reach.
 */
export function reachableTempDir(prefix: string): string {
  const bases = [tmpdir(), '/tmp', '/var/tmp', '/dev/shm'];
  const base = bases.find((b) => {
    try {
      return othersCan(b, 0o001);
    } catch {
      return false;
    }
  });
  if (base === undefined) throw new Error(`none of ${bases.join(', ')} can be traversed by other users`);
  const dir = mkdtempSync(join(base, prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/** Gives other users read access below `dir` whatever the umask was when its files were written. */
function openUp(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      chmodSync(path, 0o755);
      openUp(path);
    } else if (entry.isFile()) {
      chmodSync(path, statSync(path).mode | 0o444);
    }
  }
}

/**
 * Runs `node <script> ...args` as `nobody` with `dir` (from {@link reachableTempDir}) as its working folder. The
 * script is copied into `dir`, and so is the node binary when `nobody` cannot execute it where it is installed
 * (e.g. under /root/.nvm).
 */
export function runAsNobody(dir: string, script: string, args: readonly string[]): SpawnSyncReturns<string> {
  const own = join(dir, basename(script));
  copyFileSync(script, own);
  chmodSync(own, 0o644);
  openUp(dir);
  let node = process.execPath;
  if (!othersCan(node, 0o001)) {
    node = join(dir, 'node');
    copyFileSync(process.execPath, node);
    chmodSync(node, 0o755);
  }
  return spawnSync(node, [own, ...args], { uid: NOBODY, gid: NOBODY, cwd: dir, encoding: 'utf8' });
}
