import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Real file systems for the disk-full and read-only tests: a tiny tmpfs (writes past its size fail with ENOSPC)
 * and a read-only bind mount (writes fail with EROFS). Mounting needs root with CAP_SYS_ADMIN, which the CI
 * container has; elsewhere the tests that need it report the missing capability (and fail under CI=true).
 */
function run(cmd: string, args: readonly string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

/** Whether this process may mount file systems (probed once with a 4 KiB tmpfs). */
export const canMount: boolean = (() => {
  if (process.platform !== 'linux') return false;
  const probe = mkdtempSync(join(tmpdir(), 'vblora-mount-probe-'));
  try {
    if (!run('mount', ['-t', 'tmpfs', '-o', 'size=4k', 'tmpfs', probe])) return false;
    run('umount', [probe]);
    return true;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
})();

/** Why the mount-based tests cannot run here. */
export const NO_MOUNT_REASON = 'mounting a small tmpfs needs root with CAP_SYS_ADMIN (Linux); not available here';

/** Mounts a tmpfs of `kib` KiB on a new folder `dir`; returns an unmount function. */
export function mountTmpfs(dir: string, kib: number): () => void {
  mkdirSync(dir, { recursive: true });
  if (!run('mount', ['-t', 'tmpfs', '-o', `size=${kib}k,mode=0755`, 'tmpfs', dir]))
    throw new Error(`mount tmpfs on ${dir} failed`);
  return () => void run('umount', [dir]);
}

/** Bind-mounts `src` read-only on a new folder `dir`; returns an unmount function. */
export function mountReadOnly(src: string, dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  if (!run('mount', ['--bind', src, dir])) throw new Error(`bind mount of ${src} failed`);
  if (!run('mount', ['-o', 'remount,ro,bind', dir])) {
    run('umount', [dir]);
    throw new Error(`remount ${dir} read-only failed`);
  }
  return () => void run('umount', [dir]);
}

/** True when running as root, whom file permissions do not stop (a permission test must drop to another user). */
export const isRoot: boolean = typeof process.getuid === 'function' && process.getuid() === 0;
