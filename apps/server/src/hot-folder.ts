/**
 * The hot-swap model folder the server runs: `injectModelFolder(templates, base, out, { hotSwap: true })`, built
 * once into the server's cache folder and reused while its inputs are unchanged.
 * @module
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { injectModelFolder } from '@vblora/onnx';

/** Bumped when the way the folder is built changes. */
const RECIPE = 'vblora-server-hot/1';

/** A fingerprint of what the folder is built from: the base folder's files (name, size, mtime) and the templates'. */
async function fingerprint(baseModel: string, templateDirs: readonly string[]): Promise<string> {
  const h = createHash('sha256').update(RECIPE);
  const add = async (dir: string): Promise<void> => {
    for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name === 'onnx') await add(p);
        continue;
      }
      const s = await stat(p);
      h.update(`${p}\0${s.size}\0${s.mtimeMs}\n`);
    }
  };
  await add(baseModel);
  for (const d of templateDirs) {
    h.update(`template ${d}\n`);
    for (const f of ['adapter_config.json', 'adapter_model.safetensors']) h.update(await readFile(join(d, f)));
  }
  return h.digest('hex').slice(0, 24);
}

/**
 * The hot-swap folder for `baseModel` with branches for every module of `templateDirs`: reused from `cacheDir` when
 * built before from the same files, else written to a temporary folder and renamed into place (atomic: a reader
 * never sees half a folder; two servers building at once both end with a complete one).
 */
export async function hotSwapFolder(
  baseModel: string,
  templateDirs: readonly string[],
  cacheDir: string,
): Promise<{ folder: string; reused: boolean }> {
  const folder = join(cacheDir, `hot-${await fingerprint(baseModel, templateDirs)}`);
  if (existsSync(join(folder, 'config.json'))) return { folder, reused: true };
  await mkdir(cacheDir, { recursive: true });
  const tmp = `${folder}.tmp-${process.pid}-${Date.now()}`;
  try {
    await injectModelFolder([...templateDirs], baseModel, tmp, { hotSwap: true, skipUnsupported: true });
    await rename(tmp, folder);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    if (existsSync(join(folder, 'config.json'))) return { folder, reused: true }; // another process won the rename
    throw err;
  }
  return { folder, reused: false };
}
