import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** One line of a `sha256sum`-style `MANIFEST.sha256`: the hash and the path relative to its folder. */
export interface ManifestEntry {
  readonly hash: string;
  readonly path: string;
}

/** Reads `<dir>/MANIFEST.sha256`. */
export function readManifest(dir: string): ManifestEntry[] {
  return readFileSync(join(dir, 'MANIFEST.sha256'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [hash, path] = line.split(/ {2}/) as [string, string];
      return { hash, path: path.replace(/^\.\//, '') };
    });
}

/** SHA-256 of a file, hex. */
export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Every file below `dir`, as `/`-separated paths relative to `root` (default `dir`). */
export function listFiles(dir: string, root = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? listFiles(p, root) : [relative(root, p).split('\\').join('/')];
  });
}
