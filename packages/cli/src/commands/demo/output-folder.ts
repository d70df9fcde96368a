/**
 * The demo's output folder: the demo writes only into a folder it made (or an empty one, which it marks), and
 * before a new run removes only the files it writes, by name. A folder that holds anything else and lacks the
 * marker is refused: `--out .` or `--out "$UNSET"` must never cost the user a file.
 * @module
 */
import { lstat, mkdir, readdir, realpath, rmdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PathError } from '@vblora/core';
import { lockOutputFolder, resolveInside, writeErrorFor, writeFileAtomic, type OutputLock } from '@vblora/core/node';
import { ONNX_FILES } from './onnx-runs.js';
import { TINY_LLAMA_DIRS, TINY_LLAMA_FILES } from './tiny-llama.js';

/** The marker file: present in every folder the demo made or adopted. */
export const DEMO_MARKER = '.vblora-demo';

/** The files a demo run writes (relative to its folder): the only ones an earlier run's folder loses. */
export const DEMO_FILES: readonly string[] = [
  'adapter_full/adapter_config.json',
  'adapter_full/adapter_model.safetensors',
  'adapter_topk/adapter_config.json',
  'adapter_topk/adapter_model.safetensors',
  'base.safetensors',
  ONNX_FILES.base,
  ONNX_FILES.merged,
  ...TINY_LLAMA_FILES,
  'report.html',
];

/** The folders a demo run makes below its own (deepest first): removed after their files, and only when empty. */
export const DEMO_DIRS: readonly string[] = [...TINY_LLAMA_DIRS];

const MARKER_TEXT =
  'This folder was made by `vblora demo`. A new demo run replaces the files it wrote here and nothing else.\n';

const code = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

async function hasMarker(folder: string): Promise<boolean> {
  return lstat(join(folder, DEMO_MARKER)).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** Creates (or adopts, if empty) the demo's folder and marks it; refuses a folder that is someone else's. */
async function claimFolder(out: string): Promise<void> {
  const st = await stat(out).catch((err: unknown) => {
    if (code(err) === 'ENOENT') return null;
    throw err;
  });
  if (st !== null && !st.isDirectory()) {
    throw new PathError(
      `demo: --out ${out} is not a folder; give a new or empty folder (or an earlier demo's)`,
      'not-a-folder',
      out,
    );
  }
  if (st === null) {
    await mkdir(out, { recursive: true }).catch((err: unknown) => {
      throw writeErrorFor(out, err);
    });
  } else if (await hasMarker(out)) {
    return;
  } else if ((await readdir(out)).length > 0) {
    throw new PathError(
      `demo: --out ${out} is not empty and was not made by vblora demo (no ${DEMO_MARKER} in it); ` +
        'the demo never deletes what it did not create: give a new or empty folder',
      'not-empty',
      out,
    );
  }
  await writeFileAtomic(join(out, DEMO_MARKER), MARKER_TEXT);
}

/** Removes an earlier run's files by name; each must sit inside the folder (a link out is refused, never followed). */
async function removeEarlierRun(out: string): Promise<void> {
  const root = await realpath(out);
  for (const rel of DEMO_FILES) {
    const parent = dirname(rel) === '.' ? root : await resolveInside(root, dirname(rel), 'demo output folder');
    const path = join(parent, basename(rel));
    await unlink(path).catch((err: unknown) => {
      if (code(err) !== 'ENOENT' && code(err) !== 'ENOTDIR') throw writeErrorFor(path, err);
    });
  }
  for (const rel of DEMO_DIRS) {
    const parent =
      dirname(rel) === '.' ? root : await resolveInside(root, dirname(rel), 'demo output folder').catch(() => null);
    if (parent === null) continue;
    const path = join(parent, basename(rel));
    // rmdir never removes a folder with anything left in it (someone else's file stays, and the inject then says so)
    await rmdir(path).catch((err: unknown) => {
      if (!['ENOENT', 'ENOTDIR', 'ENOTEMPTY', 'EEXIST'].includes(code(err) ?? '')) throw writeErrorFor(path, err);
    });
  }
}

/**
 * Makes `out` the demo's folder for this run and locks it: created and marked when absent, marked when empty,
 * cleared of an earlier run's files when marked. Release the returned lock when the run ends.
 * @throws {PathError} `not-empty` for a non-empty folder without the marker, `not-a-folder`, `outside-folder`
 * (a sub-folder that is a link out), `locked` (another demo writes there now).
 */
export async function prepareDemoFolder(out: string): Promise<OutputLock> {
  await claimFolder(out);
  const lock = await lockOutputFolder(out);
  try {
    await removeEarlierRun(out);
  } catch (err) {
    await lock.release();
    throw err;
  }
  return lock;
}
