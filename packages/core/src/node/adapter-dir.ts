import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkMemoryBudget, DEFAULT_MAX_MEMORY_BYTES } from '../accounting/memory-budget.js';
import type { VBLoRAAdapter } from '../adapter/vblora-adapter.js';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE } from '../checkpoint/adapter-keys.js';
import { adapterFromFiles, type LoadedAdapter } from '../checkpoint/adapter-read.js';
import { adapterToFiles } from '../checkpoint/adapter-write.js';
import { readSafetensorsHeader, safetensorsHeaderSize } from '../checkpoint/safetensors-read-header.js';
import { DEFAULT_CONFIG_LIMITS } from '../config/index.js';
import { AdapterError, ConfigError, ResourceLimitError, UnsupportedError } from '../errors.js';
import { makeFolder, writeErrorFor, writeFileAtomic } from './atomic-write.js';
import { MAX_WHOLE_FILE_BYTES, openRegularFile, readBoundedFile, readExactly } from './read-bounded.js';
import { resolveInside } from './safe-paths.js';

/**
 * Throws unless `name` can be a folder name inside a save directory: PEFT saves adapter `name` to
 * `<dir>/<name>/`, so a separator, `.`, `..` or NUL would put it (and read it) somewhere else.
 * @throws {AdapterError}
 */
function checkAdapterName(name: string): void {
  if (name === '' || name === '.' || name === '..' || /[/\\\u0000]/.test(name)) {
    throw new AdapterError(
      `adapter name ${JSON.stringify(name)} is not a plain folder name (no "/", "\\", NUL, "." or ".."); PEFT saves an adapter in <dir>/<name>/`,
    );
  }
}

/**
 * Folder of adapter `name` inside a PEFT save directory: `default` is the directory itself, others a sub-folder.
 * Lexical only; the readers and writers below also refuse a sub-folder that is a link out of `dir`.
 * @throws {AdapterError} when `name` is not a plain folder name (a separator, NUL, `.` or `..`).
 */
export function adapterFolder(dir: string, name = 'default'): string {
  checkAdapterName(name);
  return name === 'default' ? dir : join(dir, name);
}

/** {@link adapterFolder}, resolved: a sub-folder of an existing `dir` must stay inside it once links are followed. */
async function adapterFolderInside(dir: string, name: string): Promise<string> {
  const folder = adapterFolder(dir, name);
  if (name === 'default' || !(await exists(dir))) return folder;
  return resolveInside(dir, name, `adapter "${name}"`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** `adapter_config.json` bytes as text; invalid UTF-8 is a ConfigError, as it is for `parseConfig(bytes)`. */
function decodeConfig(bytes: Uint8Array, path: string): string {
  try {
    return utf8.decode(bytes);
  } catch (cause) {
    throw new ConfigError(`${path} is not valid UTF-8`, undefined, { cause });
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Reads `adapter_model.safetensors` whole, but only once its header has been read and checked against the file
 * size (the tensors must cover the file exactly) and the file against the budget: a bad or lying file costs its
 * first 8 + N bytes, not its size.
 */
async function readWeightsFile(path: string, budget: number): Promise<Uint8Array> {
  const { fh, size } = await openRegularFile(path);
  try {
    if (size > MAX_WHOLE_FILE_BYTES) {
      throw new ResourceLimitError(
        `${path} has ${size} bytes, more than the ${MAX_WHOLE_FILE_BYTES} this reader accepts (maxFileBytes)`,
        'maxFileBytes',
      );
    }
    const lengthPrefix = new Uint8Array(Math.min(size, 8));
    await readExactly(fh, lengthPrefix, 0, path);
    const headerEnd = safetensorsHeaderSize(lengthPrefix, size);
    checkMemoryBudget(headerEnd, `the header of ${path}`, budget);
    const bytes = new Uint8Array(headerEnd);
    await readExactly(fh, bytes, 0, path);
    readSafetensorsHeader(bytes, size);
    checkMemoryBudget(size, `reading ${path}`, budget);
    const whole = new Uint8Array(size);
    whole.set(bytes);
    await readExactly(fh, whole.subarray(headerEnd), headerEnd, path);
    return whole;
  } finally {
    await fh.close();
  }
}

/**
 * Reads a PEFT adapter directory (`adapter_config.json` + `adapter_model.safetensors`); a non-default adapter name
 * is read from its sub-folder, as PEFT saves it.
 *
 * @example
 * ```ts
 * const { adapter, warnings } = await readAdapterDir('./my-adapter');
 * ```
 * @throws {AdapterError} for a missing file or a bad adapter name; `PathError` for a sub-folder that is a
 * link out of `dir`; {@link ResourceLimitError} for a file over the budget; format errors for bad contents.
 */
export async function readAdapterDir(
  dir: string,
  name = 'default',
  options: {
    /** Memory budget for the weights file, which is read whole (default `DEFAULT_MAX_MEMORY_BYTES`, 4 GiB). */
    readonly maxMemoryBytes?: number;
  } = {},
): Promise<LoadedAdapter> {
  const folder = await adapterFolderInside(dir, name);
  const configPath = join(folder, ADAPTER_CONFIG_FILE);
  const weightsPath = join(folder, ADAPTER_WEIGHTS_FILE);
  if (!(await exists(configPath))) {
    throw new AdapterError(`no ${ADAPTER_CONFIG_FILE} in ${folder}: not a PEFT adapter directory`);
  }
  if (!(await exists(weightsPath))) {
    if (await exists(join(folder, 'adapter_model.bin'))) {
      throw new UnsupportedError(
        `${folder} holds adapter_model.bin (a pickle): vblora.js reads only safetensors; re-save it in PEFT with safe_serialization=True`,
      );
    }
    throw new AdapterError(`no ${ADAPTER_WEIGHTS_FILE} in ${folder}`);
  }
  // Both files come from strangers: bounded reads of regular files only (no FIFO hang, no /dev/zero, no 3 GB read).
  const [configBytes, weights] = await Promise.all([
    readBoundedFile(configPath, DEFAULT_CONFIG_LIMITS.maxLength, 'maxLength'),
    readWeightsFile(weightsPath, options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES),
  ]);
  return adapterFromFiles({ config: decodeConfig(configBytes, configPath), weights }, name);
}

/** Lists the adapters saved in a PEFT directory: `default` when the directory itself holds one, then sub-folders. */
export async function listAdapterNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  if (await exists(join(dir, ADAPTER_CONFIG_FILE))) names.push('default');
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && (await exists(join(dir, entry.name, ADAPTER_CONFIG_FILE)))) names.push(entry.name);
  }
  return names;
}

/** Reads several adapters of one PEFT directory at once (all of them when `names` is omitted). */
export async function readAdapters(dir: string, names?: readonly string[]): Promise<Map<string, LoadedAdapter>> {
  const wanted = names ?? (await listAdapterNames(dir));
  const out = new Map<string, LoadedAdapter>();
  for (const n of wanted) out.set(n, await readAdapterDir(dir, n));
  return out;
}

/**
 * Writes an adapter as PEFT does (`<dir>/` for `default`, `<dir>/<name>/` otherwise). Each file is written
 * atomically; the weights go first, so a reader never sees a new config beside old weights.
 * @throws {AdapterError} for an adapter name that is not a plain folder name; `PathError` when
 * `<dir>/<name>` is a link out of `dir`; `WriteError` when the files cannot be written.
 */
export async function writeAdapterDir(dir: string, adapter: VBLoRAAdapter): Promise<string> {
  const folder = adapterFolder(dir, adapter.name);
  const target = await adapterFolderInside(dir, adapter.name);
  const files = adapterToFiles(adapter);
  await makeFolder(target).catch((err: unknown) => {
    throw writeErrorFor(folder, err);
  });
  await writeFileAtomic(join(target, ADAPTER_WEIGHTS_FILE), files.weights);
  await writeFileAtomic(join(target, ADAPTER_CONFIG_FILE), files.config);
  return folder;
}
