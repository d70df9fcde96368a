import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { WriteError } from '../errors.js';

/**
 * Prefix of the temporary files of atomic writes. One is left behind only if its process is killed mid-write; the
 * next successful write of the same destination removes it.
 */
export const TEMP_PREFIX = '.vblora-tmp-';

const TEMP_NAME = /^\.vblora-tmp-(\d+)-[0-9a-f]{8}-(.*)$/s;

/** A temporary path next to `path` (same directory, so the final rename cannot cross file systems). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `${TEMP_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}-${basename(path)}`);
}

/** Translates a file-system error into a {@link WriteError} that names the destination and the cause. */
export function writeErrorFor(path: string, err: unknown): WriteError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'ENOSPC'
      ? 'the disk is full'
      : code === 'EROFS'
        ? 'the destination is on a read-only file system'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'ENOENT'
            ? 'the destination folder does not exist'
            : String((err as Error | undefined)?.message ?? err);
  return new WriteError(`cannot write ${path}: ${why}; nothing was changed there`, path, { cause: err });
}

/**
 * Writes a file atomically: the bytes go to a temporary file in the same folder, are flushed to disk, and the
 * temporary file is renamed over `path`. Readers see the old file or the new one, never a partial one; on any
 * failure the temporary file is removed and a {@link WriteError} is thrown.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw writeErrorFor(path, err);
  }
  await syncFolder(dirname(path));
  await removeStaleTempFiles(path).catch(() => undefined);
}

/** Flushes a folder's entries (the rename itself) to disk, so a power loss cannot undo a finished write. */
export async function syncFolder(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => undefined);
  if (fh === undefined) return; // some file systems refuse to open folders: the data itself is already synced
  await fh.sync().catch(() => undefined);
  await fh.close();
}

/** True while process `pid` exists (also when it belongs to another user): its temporary files and locks are live. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by someone else
  }
}

/**
 * Removes the temporary files that earlier writers of `path` left behind when they were killed mid-write: those
 * whose process no longer exists (a live writer's file, or one whose pid was reused, is kept). Called after every
 * successful {@link writeFileAtomic}; returns the names removed.
 */
export async function removeStaleTempFiles(path: string): Promise<string[]> {
  const dir = dirname(path);
  const base = basename(path);
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    const m = TEMP_NAME.exec(name);
    if (m === null || m[2] !== base) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    await rm(join(dir, name), { force: true }).then(
      () => void removed.push(name),
      () => undefined,
    );
  }
  return removed;
}

/**
 * `mkdir -p` that reports the real cause: Node's recursive mkdir says ENOENT when a parent is on a read-only or
 * full file system, which would read "the destination folder does not exist"; one level at a time gives EROFS,
 * ENOSPC or EACCES.
 */
export async function makeFolder(folder: string): Promise<void> {
  try {
    await mkdir(folder, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const parent = dirname(folder);
    if (
      parent !== folder &&
      !(await stat(parent).then(
        () => true,
        () => false,
      ))
    )
      await makeFolder(parent);
    await mkdir(folder);
  }
}
