/**
 * Path rules for files that strangers name: a path a model or index file gives must stay inside its folder once
 * links are followed, and an output must never be one of the inputs (same file by device and inode, so links and
 * hard links are caught too).
 * @module
 */
import { lstat, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { PathError } from '../errors.js';

const code = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

/** True when `inner` (an absolute, real path) is `outer` or lies below it. */
export function isWithin(outer: string, inner: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`));
}

/**
 * The real path of `path` (links followed), or, for a path that does not exist yet, its folder's real path joined
 * with its name. A dangling link is refused: writing through it would create its target, wherever that is.
 * @throws {PathError} `outside-folder` for a dangling link.
 */
export async function realPathOf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (err) {
    if (code(err) !== 'ENOENT') throw err;
    const link = await lstat(path).then(
      (s) => s.isSymbolicLink(),
      () => false,
    );
    if (link)
      throw new PathError(
        `${path} is a symbolic link to something that does not exist; refusing to follow it`,
        'outside-folder',
        path,
      );
    const parent = dirname(resolve(path));
    if (parent === resolve(path)) return parent;
    return join(await realPathOf(parent), basename(path));
  }
}

/**
 * Resolves `location` (relative to `folder`, as an index or a model names its side files) and checks that it
 * stays inside `folder` after every symbolic link is followed — of the folder, the file and each folder between
 * (a Hugging Face cache snapshot's links into its repository's `blobs` folder are allowed). Returns the real path. `what` names the file in the error (e.g. `external data of tensor w`).
 * @throws {PathError} `outside-folder` when the location is absolute, climbs out with `..`, or a link leads out.
 */
export async function resolveInside(folder: string, location: string, what: string): Promise<string> {
  const outside = (why: string) =>
    new PathError(
      `${what}: ${JSON.stringify(location)} ${why}; it must be a file inside ${folder}`,
      'outside-folder',
      location,
    );
  if (location === '' || location.includes('\0')) throw outside('is not a file name');
  if (isAbsolute(location)) throw outside('is an absolute path');
  const root = await realpath(folder);
  const lexical = resolve(root, location);
  if (!isWithin(root, lexical) || lexical === root) throw outside('leaves the folder');
  const real = await realPathOf(lexical);
  const blobs = await hubBlobsOf(root);
  const inside = (isWithin(root, real) && real !== root) || (blobs !== null && isWithin(blobs, real) && real !== blobs);
  if (!inside) throw outside(`is a link that leads out of the folder (to ${real})`);
  return real;
}

/**
 * The `blobs` folder of a Hugging Face hub cache snapshot (`…/models--org--name/snapshots/<revision>`), whose files
 * are links to `../../blobs/<hash>`: the one place outside its folder that a snapshot's links may lead, so that a
 * model can be used straight from the cache. Null for every other folder.
 */
async function hubBlobsOf(root: string): Promise<string | null> {
  const snapshots = dirname(root);
  const repo = dirname(snapshots);
  if (basename(snapshots) !== 'snapshots' || !basename(repo).startsWith('models--')) return null;
  const blobs = join(repo, 'blobs');
  const real = await realpath(blobs).catch(() => null);
  return real === blobs ? real : null; // the cache's own folder, not a link elsewhere
}

interface FileId {
  readonly dev: number;
  readonly ino: number;
}

async function fileId(path: string): Promise<FileId | null> {
  return stat(path).then(
    (s) => ({ dev: s.dev, ino: s.ino }),
    () => null,
  );
}

/**
 * Refuses outputs that are one of the inputs: the same file through any name, link or hard link, or the same
 * path lexically. Call it before reading anything, with every file the command will read and write.
 * @throws {PathError} `output-aliases-input` naming both paths.
 */
export async function refuseAliasedOutputs(outputs: readonly string[], inputs: readonly string[]): Promise<void> {
  const inputIds = await Promise.all(
    inputs.map(async (p) => ({ path: p, real: await realPathOf(p).catch(() => resolve(p)), id: await fileId(p) })),
  );
  for (const out of outputs) {
    const real = await realPathOf(out).catch(() => resolve(out));
    const id = await fileId(out);
    for (const input of inputIds) {
      const same =
        real === input.real || (id !== null && input.id !== null && id.dev === input.id.dev && id.ino === input.id.ino);
      if (same) {
        throw new PathError(
          `the output ${out} is the input ${input.path}: writing it would destroy what is being read; choose another output`,
          'output-aliases-input',
          out,
        );
      }
    }
  }
}
