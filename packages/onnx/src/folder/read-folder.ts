/**
 * Listing a model folder (transformers.js / Optimum layout) without trusting it: every entry is resolved inside the
 * folder by real path (a link that leads out is refused), files must be regular files (a FIFO or a device is
 * refused before anything is opened), and only names the layout knows are used.
 * @module
 */
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveInside, TEMP_PREFIX } from '@vblora/core/node';
import { OnnxModelError } from '../errors.js';
import { CONFIG_FILE, ONNX_SUBFOLDER, parseVariantName, type FolderDtype } from './variant-files.js';

/** One ONNX file of a model folder. */
export interface FolderVariant {
  /** File name inside `onnx/` (`model_q4.onnx`). */
  readonly file: string;
  /** Stem and transformers.js dtype from the name (`model`, `q4`). */
  readonly stem: string;
  readonly dtype: FolderDtype;
  /** Real path (inside the folder). */
  readonly path: string;
}

/** A model folder's contents, as the folder commands use them. */
export interface ModelFolder {
  /** Real path of the folder. */
  readonly root: string;
  /** Top-level files copied byte for byte (config, tokenizer, generation config, ...): name → real path. */
  readonly files: ReadonlyMap<string, string>;
  /** The ONNX files of `onnx/`, sorted by name. */
  readonly variants: readonly FolderVariant[];
  /** Other files of `onnx/` (external data files are among them): name → real path. */
  readonly onnxOthers: ReadonlyMap<string, string>;
  /** What is not carried over and why (folders, weight files of other frameworks). */
  readonly skipped: readonly string[];
}

/**
 * Weight files of other frameworks at the top level: not copied, since the output's ONNX weights are merged or
 * injected and these would still hold the base model's weights under its name.
 */
const FOREIGN_WEIGHTS = /\.(safetensors|bin|pt|pth|ckpt|h5|msgpack|gguf|onnx|onnx_data|onnx\.data)$/i;

/** Our own temporary and lock files, never copied. */
const isOurs = (name: string): boolean => name.startsWith(TEMP_PREFIX) || name === '.vblora-lock';

async function kindOf(path: string): Promise<'file' | 'folder' | 'other'> {
  const st = await stat(path);
  return st.isFile() ? 'file' : st.isDirectory() ? 'folder' : 'other';
}

function notRegular(root: string, name: string): OnnxModelError {
  return new OnnxModelError(
    `${join(root, name)} is not a regular file (a FIFO, device or socket); a model folder holds regular files only`,
    'file',
    name,
  );
}

/**
 * True when `path` is a model folder: a folder with `config.json` and an `onnx/` folder (what `vblora merge` and
 * `vblora inject` treat as one; anything else is a file or a sharded safetensors folder).
 */
export async function isModelFolder(path: string): Promise<boolean> {
  const st = await stat(path).catch(() => null);
  if (st?.isDirectory() !== true) return false;
  const has = async (name: string) => (await lstat(join(path, name)).catch(() => null)) !== null;
  return (await has(CONFIG_FILE)) && (await has(ONNX_SUBFOLDER));
}

/**
 * Lists a model folder: the top-level files to copy, the ONNX variants in `onnx/`, what is skipped.
 * @example
 * ```ts
 * const folder = await readModelFolder('./Llama-tiny');
 * console.log(folder.variants.map((v) => v.dtype)); // ['fp32', 'q4', ...]
 * ```
 * @throws {PathError} `outside-folder` when an entry is a link that leads out of the folder.
 * @throws {OnnxModelError} `model-folder` when `config.json` or `onnx/` is missing or `onnx/` has no model;
 * `file` when an entry is a FIFO, device or socket.
 */
export async function readModelFolder(folder: string): Promise<ModelFolder> {
  const root = await realpath(folder).catch((cause: unknown) => {
    throw new OnnxModelError(
      `cannot open the model folder ${folder}: ${(cause as Error).message}`,
      'model-folder',
      folder,
      { cause },
    );
  });
  if (!(await stat(root)).isDirectory()) throw new OnnxModelError(`${folder} is not a folder`, 'model-folder', folder);
  const files = new Map<string, string>();
  const skipped: string[] = [];
  let onnxDir: string | null = null;
  for (const entry of (await readdir(root, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const name = entry.name;
    if (isOurs(name)) continue;
    const real = await resolveInside(root, name, `${name} of the model folder`);
    const kind = await kindOf(real);
    if (name === ONNX_SUBFOLDER && kind === 'folder') onnxDir = real;
    else if (kind === 'folder') skipped.push(`${name}/: a folder (only config files and onnx/ are carried over)`);
    else if (kind === 'other') throw notRegular(root, name);
    else if (FOREIGN_WEIGHTS.test(name))
      skipped.push(`${name}: weights outside onnx/ (they would not hold the adapter)`);
    else files.set(name, real);
  }
  if (!files.has(CONFIG_FILE)) {
    throw new OnnxModelError(
      `${folder} has no ${CONFIG_FILE}: not a transformers.js / Optimum model folder`,
      'model-folder',
      folder,
    );
  }
  if (onnxDir === null) {
    throw new OnnxModelError(
      `${folder} has no ${ONNX_SUBFOLDER}/ folder: not a transformers.js / Optimum model folder`,
      'model-folder',
      folder,
    );
  }
  const variants: FolderVariant[] = [];
  const onnxOthers = new Map<string, string>();
  for (const entry of (await readdir(onnxDir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const name = entry.name;
    if (isOurs(name)) continue;
    const rel = `${ONNX_SUBFOLDER}/${name}`;
    const real = await resolveInside(root, rel, `${rel} of the model folder`);
    const kind = await kindOf(real);
    if (kind === 'folder') {
      skipped.push(`${rel}/: a folder`);
      continue;
    }
    if (kind === 'other') throw notRegular(root, rel);
    const parsed = parseVariantName(name);
    if (parsed === null) onnxOthers.set(name, real);
    else variants.push({ file: name, stem: parsed.stem, dtype: parsed.dtype, path: real });
  }
  if (variants.length === 0) {
    throw new OnnxModelError(`${folder}/${ONNX_SUBFOLDER} holds no .onnx model`, 'model-folder', folder);
  }
  return { root, files, variants, onnxOthers, skipped };
}
