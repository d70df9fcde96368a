/**
 * All-or-nothing output of a whole model folder. Why a staged folder rather than staged files: a model folder is
 * many files (config, tokenizer, one model and one data file per variant), and a reader must never see some
 * variants merged and others not, so everything is written into a temporary sibling folder
 * (`.vblora-tmp-<pid>-<random>-<name>`) and that folder is renamed onto the output in one step when every variant is
 * done. The output must be new or an empty folder (a rename can replace an empty folder, never a full one, and
 * nothing the user had is ever deleted); it is locked while the work runs, so a second writer fails at once.
 * @module
 */
import { lstat, mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PathError } from '@vblora/core';
import {
  isWithin,
  LOCK_FILE,
  lockOutputFolder,
  processAlive,
  realPathOf,
  refuseAliasedOutputs,
  syncFolder,
  TEMP_PREFIX,
  tempPathFor,
  writeErrorFor,
  type OutputLock,
} from '@vblora/core/node';
import { ONNX_SUBFOLDER } from './variant-files.js';

/** An output folder being written. */
export interface StagedFolder {
  /** Real path of the output folder. */
  readonly target: string;
  /** The temporary folder written instead, renamed onto `target` by {@link StagedFolder.commit}. */
  readonly staging: string;
  /** Renames the staged folder into place (the lock is released first: the output is then empty). */
  commit(): Promise<void>;
  /** Removes the staged folder, releases the lock and removes the output folder if this write created it. */
  abort(): Promise<void>;
}

const STALE_STAGING = /^\.vblora-tmp-(\d+)-[0-9a-f]{8}-(.*)$/s;

/** Staging folders of the same output left by writers that were killed (their process is gone). */
async function removeStaleStaging(target: string): Promise<void> {
  const parent = dirname(target);
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    const m = STALE_STAGING.exec(name);
    if (m === null || m[2] !== basename(target) || processAlive(Number(m[1]))) continue;
    const path = join(parent, name);
    const st = await lstat(path).catch(() => null);
    if (st?.isDirectory() === true) await rm(path, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Checks the output folder of a folder command, writing nothing: `inputRoot` (the model folder, a real path) may
 * not be the output, inside it or around it, nor may any of `otherInputs` (the adapter's files) be the output; the
 * output must be new or an empty folder. Returns its real path and whether it exists.
 * @throws {PathError} `output-aliases-input` or `output-exists` (a folder that is not empty, or a file).
 */
export async function checkOutputFolder(
  outFolder: string,
  inputRoot: string,
  otherInputs: readonly string[] = [],
): Promise<{ target: string; exists: boolean }> {
  const target = await realPathOf(outFolder);
  if (isWithin(inputRoot, target) || isWithin(target, inputRoot)) {
    const where = target === inputRoot ? 'is' : isWithin(inputRoot, target) ? 'is inside' : 'holds';
    throw new PathError(
      `the output ${outFolder} ${where} the model folder ${inputRoot}: writing it would mix with what is being read; choose another output`,
      'output-aliases-input',
      outFolder,
    );
  }
  await refuseAliasedOutputs([target], otherInputs);
  const st = await lstat(target).catch(() => null);
  if (st !== null) {
    const entries = st.isDirectory()
      ? (await readdir(target)).filter((n) => n !== LOCK_FILE && !n.startsWith(TEMP_PREFIX))
      : null;
    if (entries === null || entries.length > 0) {
      throw new PathError(
        `the output ${outFolder} ${entries === null ? 'is a file' : 'already holds files'}; a model folder is written into a new or empty folder (nothing there is replaced): remove it or choose another`,
        'output-exists',
        outFolder,
      );
    }
  }
  return { target, exists: st !== null };
}

/**
 * Checks the output folder (see {@link checkOutputFolder}) and starts writing it: creates it when new, locks it,
 * and creates the staging folder beside it.
 * @throws {PathError} as {@link checkOutputFolder}, or `locked` when another process writes it.
 * @throws {WriteError} when the output folder cannot be created or locked.
 */
export async function stageOutputFolder(
  outFolder: string,
  inputRoot: string,
  otherInputs: readonly string[] = [],
): Promise<StagedFolder> {
  const { target, exists } = await checkOutputFolder(outFolder, inputRoot, otherInputs);
  const created = !exists;
  if (created) await mkdir(target, { recursive: true }).catch((e: unknown) => Promise.reject(writeErrorFor(target, e)));
  let lock: OutputLock | undefined;
  let staging: string | undefined;
  try {
    lock = await lockOutputFolder(target);
    const dir = tempPathFor(target);
    await mkdir(dir).catch((e: unknown) => Promise.reject(writeErrorFor(target, e)));
    staging = dir;
    await mkdir(join(dir, ONNX_SUBFOLDER)).catch((e: unknown) => Promise.reject(writeErrorFor(target, e)));
  } catch (err) {
    if (staging !== undefined) await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    await lock?.release();
    if (created) await rmdir(target).catch(() => undefined);
    throw err;
  }
  const held = lock;
  const dir = staging;
  let done = false;
  return {
    target,
    staging: dir,
    async commit() {
      done = true;
      await held.release();
      try {
        await rename(dir, target);
      } catch (err) {
        await rm(dir, { recursive: true, force: true }).catch(() => undefined);
        if (created) await rmdir(target).catch(() => undefined);
        throw writeErrorFor(target, err);
      }
      await syncFolder(dirname(target));
      await removeStaleStaging(target);
    },
    async abort() {
      if (done) return;
      done = true;
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      await held.release();
      if (created) await rmdir(target).catch(() => undefined);
    },
  };
}
