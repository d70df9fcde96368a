/**
 * One writer per output folder: a lock file created atomically (a complete file linked into place, so no reader
 * ever sees it half-written), naming the process that holds it. A lock left by a process that no longer exists
 * is taken over; a live one makes the second writer fail at once instead of interleaving its files.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { link, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PathError } from '../errors.js';
import { processAlive, TEMP_PREFIX, writeErrorFor, writeFileAtomic } from './atomic-write.js';
import { readBoundedFile } from './read-bounded.js';

/** Name of the lock file inside a locked output folder. */
export const LOCK_FILE = '.vblora-lock';

/** A held lock; `release` removes the lock file if it is still ours. */
export interface OutputLock {
  readonly path: string;
  /** Removes the lock file if it is still ours (a lock taken over meanwhile is left to its new owner). */
  release(): Promise<void>;
}

interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
}

function parseOwner(text: string): LockOwner | null {
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    return typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.token === 'string'
      ? (v as LockOwner)
      : null;
  } catch {
    return null;
  }
}

const decoder = new TextDecoder();
/** A lock file's text, or null when it is missing, not a regular file (a FIFO must not hang us) or oversized. */
const readSmall = (path: string) =>
  readBoundedFile(path, 4096, 'lockFileBytes').then(
    (bytes) => decoder.decode(bytes),
    () => null,
  );

/**
 * Takes the lock of `folder` (which must exist) for this process.
 * @throws {PathError} `locked` when another live process holds it.
 */
export async function lockOutputFolder(folder: string): Promise<OutputLock> {
  const path = join(folder, LOCK_FILE);
  const owner: LockOwner = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex') };
  const text = JSON.stringify(owner);
  const staged = join(folder, `${TEMP_PREFIX}${process.pid}-${owner.token.slice(0, 8)}-${LOCK_FILE}`);
  await writeFileAtomic(staged, text);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(staged, path); // fails with EEXIST while the lock is held: the atomic test-and-set
        break;
      } catch (err) {
        // e.g. a file system without hard links, or a read-only folder: a typed error naming the lock file
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw writeErrorFor(path, err);
      }
      const current = await readSmall(path);
      const held = current === null ? null : parseOwner(current);
      const stale = held !== null && held.host === owner.host && !processAlive(held.pid);
      if (attempt === 0 && stale && (await takeOverStale(path, current!))) continue;
      const who = held === null ? 'another process' : `process ${held.pid} on ${held.host}`;
      throw new PathError(
        `${folder} is being written by ${who} (lock file ${LOCK_FILE}); wait for it to finish, or remove the lock file if no such process runs`,
        'locked',
        folder,
      );
    }
  } finally {
    await rm(staged, { force: true });
  }
  return {
    path,
    async release() {
      if ((await readSmall(path)) === text) await rm(path, { force: true });
    },
  };
}

/** Moves a dead process's lock aside and removes it; false when the lock changed hands meanwhile (then it is put back). */
async function takeOverStale(path: string, seen: string): Promise<boolean> {
  const aside = `${path}.${randomBytes(4).toString('hex')}.stale`;
  try {
    await rename(path, aside);
  } catch {
    return true; // already gone: the next link attempt decides
  }
  if ((await readSmall(aside)) !== seen) {
    await link(aside, path).catch(() => undefined); // someone's fresh lock: give it back
    await rm(aside, { force: true });
    return false;
  }
  await rm(aside, { force: true });
  return true;
}
