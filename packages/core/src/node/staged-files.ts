/**
 * All-or-nothing writes of several files (the shards and the index of a merged checkpoint): every file goes to a
 * temporary name beside its destination and is flushed to disk; only when all are written are they renamed into
 * place, in order (the index last), so a failure while writing changes no destination.
 * @module
 */
import { lstat, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { WriteError } from '../errors.js';
import { removeStaleTempFiles, syncFolder, tempPathFor, writeErrorFor } from './atomic-write.js';

/** One file written to its temporary name, waiting for {@link commitStaged}. */
export interface StagedFile {
  readonly out: string;
  readonly tmp: string;
}

/** Writes bytes at a position of a staged file; a failure is a WriteError naming the destination. */
export type StagedWrite = (bytes: Uint8Array, position: number) => Promise<void>;

/**
 * Refuses destinations that a rename could not replace (an existing folder), before anything is written.
 * @throws {WriteError} naming the destination.
 */
export async function checkDestinations(outs: readonly string[]): Promise<void> {
  for (const out of outs) {
    const st = await lstat(out).catch(() => null);
    if (st?.isDirectory() === true) {
      throw new WriteError(`cannot write ${out}: a folder of that name is in the way; nothing was changed there`, out);
    }
  }
}

/**
 * Writes `out`'s content to a temporary file next to it through `fill` (which may read inputs: only failures of
 * `write` are write errors), flushes it to disk and records it in `staged`. On failure the temporary file is
 * removed and the error is thrown as it came (a write failure as a {@link WriteError}).
 */
export async function stageFile(
  staged: StagedFile[],
  out: string,
  fill: (write: StagedWrite) => Promise<void>,
): Promise<void> {
  const tmp = tempPathFor(out);
  const asWriteError = (err: unknown) => Promise.reject(writeErrorFor(out, err));
  const fh: FileHandle = await open(tmp, 'wx', 0o644).catch(asWriteError);
  try {
    await fill(async (bytes, position) => {
      await fh.write(bytes, 0, bytes.length, position).catch(asWriteError);
    });
    await fh.sync().catch(asWriteError);
    await fh.close().catch(asWriteError);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  staged.push({ out, tmp });
}

/** Removes every staged temporary file (after a failure: no destination was touched). */
export async function discardStaged(staged: readonly StagedFile[]): Promise<void> {
  await Promise.all(staged.map((s) => rm(s.tmp, { force: true }).catch(() => undefined)));
}

/**
 * Renames every staged file into place, in order, then flushes the folders. Should a rename fail, the remaining
 * temporary files are removed and the WriteError says which destinations were already replaced (only when none
 * was does it say nothing changed).
 * @throws {WriteError}
 */
export async function commitStaged(staged: readonly StagedFile[]): Promise<void> {
  for (const [i, s] of staged.entries()) {
    try {
      await rename(s.tmp, s.out);
    } catch (err) {
      await discardStaged(staged.slice(i));
      const first = writeErrorFor(s.out, err);
      if (i === 0) throw first;
      const done = staged.slice(0, i).map((d) => basename(d.out));
      const why = first.message.replace(/; nothing was changed there$/, '');
      throw new WriteError(
        `${why}; ${done.join(', ')} had already been replaced and the rest had not: the output is a mix of old and new files, write it again`,
        s.out,
        { cause: err },
      );
    }
  }
  for (const dir of new Set(staged.map((s) => dirname(s.out)))) await syncFolder(dir);
  // temporary files of earlier writers that were killed mid-write
  await Promise.all(staged.map((s) => removeStaleTempFiles(s.out).catch(() => undefined)));
}
